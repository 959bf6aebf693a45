// sarama-client drives Debian's sarama (github.com/Shopify/sarama, GOPATH mode) through one
// capture scenario against a Kafka-protocol broker. Used by Fixtures/capture/capture-all.sh.
//
//	sarama-client -bootstrap 127.0.0.1:19092 -scenario bootstrap-metadata
//	sarama-client -scenario create-topics -topic T
//	sarama-client -scenario produce -codec zstd -topic T [-idempotent]
//	sarama-client -scenario group-consume-commit -topic T -group G -expect N
//	sarama-client -scenario topic-admin -topic T            (admin.go)
//	sarama-client -scenario group-admin -topic T -group G   (admin.go)
//
// Exits 0 only when the scenario really happened (acks received, records consumed back).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/Shopify/sarama"
)

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "sarama-client: "+format+"\n", args...)
	os.Exit(1)
}

func baseConfig() *sarama.Config {
	c := sarama.NewConfig()
	c.ClientID = "sarama-capture"
	c.Version = sarama.MaxVersion // the newest protocol level this sarama knows
	c.Metadata.Retry.Max = 3
	c.Metadata.Retry.Backoff = 200 * time.Millisecond
	c.Net.DialTimeout = 5 * time.Second
	c.Net.ReadTimeout = 10 * time.Second
	return c
}

// payload returns record i's value: varied sizes, and for codec scenarios 200 bytes more so
// that every batch is worth compressing (same shapes as Fixtures/capture/capture_records.py).
func payload(i int, compressed bool) []byte {
	sizes := []int{1, 17, 150, 1024, 6000, 40}
	n := sizes[i%len(sizes)]
	if compressed {
		n += 200
	}
	s := strings.Repeat(fmt.Sprintf("sarama record %d; ", i), n/16+1)
	return []byte(s[:n])
}

func main() {
	bootstrap := flag.String("bootstrap", "127.0.0.1:19092", "broker host:port")
	scenario := flag.String("scenario", "bootstrap-metadata", "bootstrap-metadata|create-topics|produce|group-consume-commit|topic-admin|group-admin")
	topic := flag.String("topic", "fx-sarama", "topic")
	group := flag.String("group", "fx-sarama-group", "consumer group id")
	codec := flag.String("codec", "none", "none|gzip|snappy|lz4|zstd")
	idempotent := flag.Bool("idempotent", false, "idempotent producer (acks all, MaxOpenRequests 1)")
	records := flag.Int("records", 6, "records to produce")
	expect := flag.Int("expect", 0, "records the consumer must receive")
	timeout := flag.Duration("timeout", 40*time.Second, "overall timeout")
	flag.Parse()

	go func() {
		time.Sleep(*timeout)
		fail("timed out after %s", *timeout)
	}()
	addrs := []string{*bootstrap}

	switch *scenario {
	case "bootstrap-metadata":
		client, err := sarama.NewClient(addrs, baseConfig())
		if err != nil {
			fail("client: %v", err)
		}
		topics, err := client.Topics()
		if err != nil {
			fail("topics: %v", err)
		}
		fmt.Printf("brokers=%d topics=%v\n", len(client.Brokers()), topics)
		if err := client.Close(); err != nil {
			fail("close: %v", err)
		}

	case "create-topics":
		admin, err := sarama.NewClusterAdmin(addrs, baseConfig())
		if err != nil {
			fail("admin: %v", err)
		}
		retention := "3600000"
		policy := "delete"
		err = admin.CreateTopic(*topic, &sarama.TopicDetail{
			NumPartitions:     3,
			ReplicationFactor: 1,
			ConfigEntries:     map[string]*string{"retention.ms": &retention, "cleanup.policy": &policy},
		}, false)
		if err != nil {
			fail("create topic: %v", err)
		}
		all, err := admin.ListTopics()
		if err != nil {
			fail("list topics: %v", err)
		}
		d, ok := all[*topic]
		if !ok || d.NumPartitions != 3 {
			fail("created topic not listed correctly: %+v", d)
		}
		fmt.Printf("created %s: %d partitions\n", *topic, d.NumPartitions)
		admin.Close()

	case "produce":
		c := baseConfig()
		c.Producer.Return.Successes = true
		c.Producer.Return.Errors = true
		c.Producer.RequiredAcks = sarama.WaitForAll
		c.Producer.Flush.Messages = *records // one batch (per partition) in one request
		c.Producer.Flush.Frequency = 200 * time.Millisecond
		switch *codec {
		case "none":
			c.Producer.Compression = sarama.CompressionNone
		case "gzip":
			c.Producer.Compression = sarama.CompressionGZIP
		case "snappy":
			c.Producer.Compression = sarama.CompressionSnappy
		case "lz4":
			c.Producer.Compression = sarama.CompressionLZ4
		case "zstd":
			c.Producer.Compression = sarama.CompressionZSTD
		default:
			fail("unknown codec %q", *codec)
		}
		if *idempotent {
			c.Producer.Idempotent = true
			c.Net.MaxOpenRequests = 1
			c.Producer.Retry.Max = 3
		}
		p, err := sarama.NewAsyncProducer(addrs, c)
		if err != nil {
			fail("producer: %v", err)
		}
		for i := 0; i < *records; i++ {
			m := &sarama.ProducerMessage{Topic: *topic, Value: sarama.ByteEncoder(payload(i, *codec != "none"))}
			if i%3 != 2 {
				m.Key = sarama.StringEncoder(fmt.Sprintf("key-%d", i))
			}
			if i%2 == 0 {
				m.Headers = []sarama.RecordHeader{
					{Key: []byte("trace-id"), Value: []byte(fmt.Sprintf("t-%d", i))},
					{Key: []byte("client"), Value: []byte("sarama")},
				}
			}
			p.Input() <- m
		}
		acked := 0
		for acked < *records {
			select {
			case m := <-p.Successes():
				acked++
				fmt.Printf("acked %s[%d]@%d\n", m.Topic, m.Partition, m.Offset)
			case e := <-p.Errors():
				fail("produce error: %v", e.Err)
			}
		}
		if err := p.Close(); err != nil {
			fail("close: %v", err)
		}

	case "group-consume-commit":
		c := baseConfig()
		c.Consumer.Offsets.Initial = sarama.OffsetOldest
		c.Consumer.Offsets.CommitInterval = 100 * time.Millisecond
		c.Consumer.Return.Errors = true
		c.Consumer.MaxWaitTime = 250 * time.Millisecond
		g, err := sarama.NewConsumerGroup(addrs, *group, c)
		if err != nil {
			fail("consumer group: %v", err)
		}
		go func() {
			for err := range g.Errors() {
				fmt.Fprintf(os.Stderr, "consumer group error: %v\n", err)
			}
		}()
		h := &handler{want: *expect, done: make(chan struct{})}
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			for ctx.Err() == nil {
				if err := g.Consume(ctx, []string{*topic}, h); err != nil {
					fmt.Fprintf(os.Stderr, "consume: %v\n", err)
					time.Sleep(200 * time.Millisecond)
				}
			}
		}()
		<-h.done
		// Let the offset manager commit the marked offsets, then leave the group; Close flushes
		// any outstanding commit synchronously (sarama 1.22 has no explicit Commit()).
		time.Sleep(300 * time.Millisecond)
		cancel()
		if err := g.Close(); err != nil {
			fail("close: %v", err)
		}
		fmt.Printf("consumed %d records\n", h.count())

	default:
		if !runAdminScenario(*scenario, addrs, *topic, *group) { // topic-admin, group-admin: admin.go
			fail("unknown scenario %q", *scenario)
		}
	}
}

type handler struct {
	mu   sync.Mutex
	n    int
	want int
	done chan struct{}
	once sync.Once
}

func (h *handler) count() int { h.mu.Lock(); defer h.mu.Unlock(); return h.n }

func (h *handler) Setup(s sarama.ConsumerGroupSession) error {
	fmt.Printf("assigned %v (generation %d)\n", s.Claims(), s.GenerationID())
	return nil
}
func (h *handler) Cleanup(sarama.ConsumerGroupSession) error { return nil }
func (h *handler) ConsumeClaim(s sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	for m := range claim.Messages() {
		s.MarkMessage(m, "")
		h.mu.Lock()
		h.n++
		n := h.n
		h.mu.Unlock()
		if n >= h.want {
			h.once.Do(func() { close(h.done) })
		}
	}
	return nil
}
