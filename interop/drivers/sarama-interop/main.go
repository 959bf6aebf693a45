// sarama-interop drives Debian's sarama 1.22.1 (GOPATH mode) for the interop suite, with the
// same spec and result files as the Python drivers (interop/drivers/common.py):
//
//	sarama-interop version
//	sarama-interop produce SPEC.json OUT.json
//	sarama-interop read SPEC.json OUT.json
//	sarama-interop admin SPEC.json OUT.json
//	sarama-interop durability --bootstrap B --topic T --acks-file F --stop-file S --summary-file J [...]
//
// `durability` is the long-running idempotent acks=all producer of the fault tests, with the
// flags and files of interop/drivers/durability_producer.py (see durability.go).
//
// Bytes travel as base64 (Go's encoding of []byte); null stays nil and "" stays empty. Built by
// scripts/install-test-clients.sh into .gopath/bin/sarama-interop.
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/ioutil"
	"log"
	"os"
	"time"

	"github.com/Shopify/sarama"
)

// The Debian package this is built against; `version` reports it (sarama has no version constant).
const saramaVersion = "1.22.1"

type header struct {
	Name  string `json:"name"`
	Value []byte `json:"value"`
}

type record struct {
	Partition int32    `json:"partition"`
	Offset    int64    `json:"offset"`
	Key       []byte   `json:"key"`
	Value     []byte   `json:"value"`
	Headers   []header `json:"headers"`
}

type spec struct {
	Bootstrap  string                      `json:"bootstrap"`
	Topic      string                      `json:"topic"`
	Create     *struct{ Partitions int32 } `json:"create"`
	Codec      string                      `json:"codec"`
	Idempotent bool                        `json:"idempotent"`
	Timeout    float64                     `json:"timeout"`
	Records    []record                    `json:"records"`
	Partitions []int32                     `json:"partitions"`
	Security   *securitySpec               `json:"security"`
}

type ack struct {
	Index     int   `json:"index"`
	Partition int32 `json:"partition"`
	Offset    int64 `json:"offset"`
}

type produceError struct {
	Index *int   `json:"index"`
	Error string `json:"error"`
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "sarama-interop: "+format+"\n", args...)
	os.Exit(1)
}

func versionInfo() map[string]string {
	return map[string]string{"name": "sarama", "version": saramaVersion, "protocol": sarama.MaxVersion.String()}
}

func baseConfig() *sarama.Config {
	c := sarama.NewConfig()
	c.ClientID = "sarama-interop"
	c.Version = sarama.MaxVersion // 2.2.0, the newest protocol level this sarama knows
	c.Metadata.Retry.Max = 10
	c.Metadata.Retry.Backoff = 200 * time.Millisecond
	c.Net.DialTimeout = 5 * time.Second
	c.Net.ReadTimeout = 15 * time.Second
	applySecurity(c)
	return c
}

func codec(name string) sarama.CompressionCodec {
	switch name {
	case "none":
		return sarama.CompressionNone
	case "gzip":
		return sarama.CompressionGZIP
	case "snappy":
		return sarama.CompressionSnappy
	case "lz4":
		return sarama.CompressionLZ4
	case "zstd":
		return sarama.CompressionZSTD
	}
	fail("unknown codec %q", name)
	return sarama.CompressionNone
}

func createTopic(s *spec, deadline time.Time) {
	admin, err := sarama.NewClusterAdmin([]string{s.Bootstrap}, baseConfig())
	if err != nil {
		fail("admin: %v", err)
	}
	err = admin.CreateTopic(s.Topic, &sarama.TopicDetail{NumPartitions: s.Create.Partitions, ReplicationFactor: 1}, false)
	if err != nil {
		fail("create topic %s: %v", s.Topic, err)
	}
	admin.Close()
	client, err := sarama.NewClient([]string{s.Bootstrap}, baseConfig())
	if err != nil {
		fail("client: %v", err)
	}
	defer client.Close()
	for {
		if err := client.RefreshMetadata(s.Topic); err == nil {
			if ps, err := client.Partitions(s.Topic); err == nil && int32(len(ps)) == s.Create.Partitions {
				return
			}
		}
		if time.Now().After(deadline) {
			fail("topic %s not visible with %d partitions", s.Topic, s.Create.Partitions)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func produce(s *spec) map[string]interface{} {
	deadline := time.Now().Add(time.Duration(s.Timeout * float64(time.Second)))
	if s.Create != nil {
		createTopic(s, deadline)
	}
	c := baseConfig()
	c.Producer.Return.Successes = true
	c.Producer.Return.Errors = true
	c.Producer.RequiredAcks = sarama.WaitForAll
	c.Producer.Partitioner = sarama.NewManualPartitioner
	c.Producer.Compression = codec(s.Codec)
	c.Producer.Flush.Frequency = 20 * time.Millisecond
	c.Producer.MaxMessageBytes = 1000000
	if s.Idempotent {
		c.Producer.Idempotent = true
		c.Net.MaxOpenRequests = 1
		c.Producer.Retry.Max = 5
	}
	p, err := sarama.NewAsyncProducer([]string{s.Bootstrap}, c)
	if err != nil {
		fail("producer: %v", err)
	}
	acks := []ack{}
	errs := []produceError{}
	go func() {
		for i, r := range s.Records {
			m := &sarama.ProducerMessage{Topic: s.Topic, Partition: r.Partition, Metadata: i}
			if r.Key != nil {
				m.Key = sarama.ByteEncoder(r.Key)
			}
			if r.Value != nil {
				m.Value = sarama.ByteEncoder(r.Value)
			}
			for _, h := range r.Headers {
				m.Headers = append(m.Headers, sarama.RecordHeader{Key: []byte(h.Name), Value: h.Value})
			}
			p.Input() <- m
		}
	}()
	timeout := time.After(time.Until(deadline))
	for len(acks)+len(errs) < len(s.Records) {
		select {
		case m := <-p.Successes():
			acks = append(acks, ack{Index: m.Metadata.(int), Partition: m.Partition, Offset: m.Offset})
		case e := <-p.Errors():
			i := e.Msg.Metadata.(int)
			errs = append(errs, produceError{Index: &i, Error: e.Err.Error()})
		case <-timeout:
			errs = append(errs, produceError{Error: fmt.Sprintf("%d records unacknowledged at the timeout",
				len(s.Records)-len(acks)-len(errs))})
			return map[string]interface{}{"acks": acks, "errors": errs}
		}
	}
	if err := p.Close(); err != nil {
		errs = append(errs, produceError{Error: "close: " + err.Error()})
	}
	return map[string]interface{}{"acks": acks, "errors": errs}
}

func read(s *spec, digest bool) map[string]interface{} {
	deadline := time.Now().Add(time.Duration(s.Timeout * float64(time.Second)))
	c := baseConfig()
	c.Consumer.Return.Errors = true
	c.Consumer.MaxWaitTime = 100 * time.Millisecond
	client, err := sarama.NewClient([]string{s.Bootstrap}, c)
	if err != nil {
		fail("client: %v", err)
	}
	defer client.Close()
	consumer, err := sarama.NewConsumerFromClient(client)
	if err != nil {
		fail("consumer: %v", err)
	}
	defer consumer.Close()
	high := map[int32]int64{}
	position := map[int32]int64{}
	records := []map[string]interface{}{}
	var readErr interface{}
	for _, p := range s.Partitions {
		h, err := client.GetOffset(s.Topic, p, sarama.OffsetNewest)
		if err != nil {
			fail("high watermark of %s[%d]: %v", s.Topic, p, err)
		}
		high[p] = h
		position[p] = 0
		if h == 0 {
			continue
		}
		pc, err := consumer.ConsumePartition(s.Topic, p, sarama.OffsetOldest)
		if err != nil {
			fail("consume %s[%d]: %v", s.Topic, p, err)
		}
		timeout := time.After(time.Until(deadline))
	loop:
		for position[p] < h {
			select {
			case m := <-pc.Messages():
				out := map[string]interface{}{"partition": m.Partition, "offset": m.Offset, "key": m.Key}
				hs := []header{}
				for _, rh := range m.Headers {
					hs = append(hs, header{Name: string(rh.Key), Value: rh.Value})
				}
				out["headers"] = hs
				if digest {
					if m.Value == nil {
						out["value_len"], out["value_sha256"] = nil, nil
					} else {
						sum := sha256.Sum256(m.Value)
						out["value_len"], out["value_sha256"] = len(m.Value), hex.EncodeToString(sum[:])
					}
				} else {
					out["value"] = m.Value
				}
				records = append(records, out)
				position[p] = m.Offset + 1
			case e := <-pc.Errors():
				readErr = fmt.Sprintf("%s[%d]: %v", e.Topic, e.Partition, e.Err)
				break loop
			case <-timeout:
				break loop
			}
		}
		pc.Close()
		if readErr != nil {
			break
		}
	}
	complete := readErr == nil
	for _, p := range s.Partitions {
		if position[p] < high[p] {
			complete = false
		}
	}
	if !complete && readErr == nil {
		readErr = fmt.Sprintf("timed out at positions %v of high watermarks %v", position, high)
	}
	return map[string]interface{}{"records": records, "high": high, "complete": complete, "error": readErr}
}

func main() {
	// SARAMA_LOG=1: sarama's own log (metadata refreshes, retries, broker connections) on stderr.
	if os.Getenv("SARAMA_LOG") != "" {
		sarama.Logger = log.New(os.Stderr, "[sarama] ", log.LstdFlags|log.Lmicroseconds)
	}
	if len(os.Args) == 2 && os.Args[1] == "version" {
		out, _ := json.Marshal(versionInfo())
		fmt.Println(string(out))
		return
	}
	if len(os.Args) >= 2 && os.Args[1] == "durability" {
		os.Exit(durability(os.Args[2:]))
	}
	if len(os.Args) != 4 || (os.Args[1] != "produce" && os.Args[1] != "read" && os.Args[1] != "admin") {
		fail("usage: sarama-interop version | produce SPEC OUT | read SPEC OUT | admin SPEC OUT | durability FLAGS")
	}
	raw, err := ioutil.ReadFile(os.Args[2])
	if err != nil {
		fail("%v", err)
	}
	var s spec
	var extra struct {
		Digest bool `json:"digest"`
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		fail("spec: %v", err)
	}
	_ = json.Unmarshal(raw, &extra)
	security = s.Security
	if s.Timeout <= 0 {
		s.Timeout = 60
	}
	go func() {
		time.Sleep(time.Duration(s.Timeout*float64(time.Second)) + 15*time.Second)
		fail("hung past its timeout of %.0fs", s.Timeout)
	}()
	var result map[string]interface{}
	ok := false
	if os.Args[1] == "admin" {
		result, ok = admin(&s)
	} else if os.Args[1] == "produce" {
		result = produce(&s)
		ok = len(result["errors"].([]produceError)) == 0 && len(result["acks"].([]ack)) == len(s.Records)
	} else {
		result = read(&s, extra.Digest)
		ok = result["complete"].(bool)
	}
	result["client"] = versionInfo()
	out, err := json.Marshal(result)
	if err != nil {
		fail("result: %v", err)
	}
	tmp := os.Args[3] + ".tmp"
	if err := ioutil.WriteFile(tmp, out, 0o644); err != nil {
		fail("%v", err)
	}
	if err := os.Rename(tmp, os.Args[3]); err != nil {
		fail("%v", err)
	}
	if !ok {
		os.Exit(1)
	}
}
