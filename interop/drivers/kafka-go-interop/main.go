// kafka-go-interop drives Debian's segmentio/kafka-go 0.2.1 (golang-github-segmentio-kafka-go-dev),
// a client frozen at Kafka 0.10's protocol: Produce v2 with magic 1 message sets, Fetch v2,
// JoinGroup v1, SyncGroup v0, OffsetCommit v2, OffsetFetch v1, Metadata v1.
//
//	kafka-go-interop version
//	kafka-go-interop produce SPEC OUT   spec: {bootstrap, topic, records: [{partition, key, value}], codec, timeout}
//	kafka-go-interop group SPEC OUT     spec: {bootstrap, topic, group, count, timeout}
//
// Keys and values are base64 in the spec and the result. produce sends every record in one
// WriteMessages call, each to the partition the spec names (the balancer reads it back from the
// record's position); group reads `count` messages as a member of `group`, committing each one
// synchronously, then closes.
package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io/ioutil"
	"os"
	"sync"
	"time"

	kafka "github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/gzip"
)

type record struct {
	Partition int    `json:"partition"`
	Offset    int64  `json:"offset"`
	Key       string `json:"key"`
	Value     string `json:"value"`
}

type spec struct {
	Bootstrap string   `json:"bootstrap"`
	Topic     string   `json:"topic"`
	Group     string   `json:"group"`
	Records   []record `json:"records"`
	Codec     string   `json:"codec"`
	Count     int      `json:"count"`
	Timeout   int      `json:"timeout"`
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}

func decode(s string) []byte {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		fail("bad base64 %q: %v", s, err)
	}
	return b
}

func produce(s spec) map[string]interface{} {
	// Balance is called once per message, in the order WriteMessages was given them, on the
	// writer's one goroutine: the n-th call is the n-th record.
	var mu sync.Mutex
	next := 0
	balancer := kafka.BalancerFunc(func(msg kafka.Message, partitions ...int) int {
		mu.Lock()
		defer mu.Unlock()
		p := s.Records[next%len(s.Records)].Partition
		next++
		return p
	})
	config := kafka.WriterConfig{Brokers: []string{s.Bootstrap}, Topic: s.Topic, Balancer: balancer,
		BatchTimeout: 20 * time.Millisecond, RequiredAcks: -1, MaxAttempts: 1}
	if s.Codec == "gzip" {
		config.CompressionCodec = gzip.NewCompressionCodec()
	} else if s.Codec != "none" && s.Codec != "" {
		fail("codec %s not offered by this driver", s.Codec)
	}
	w := kafka.NewWriter(config)
	msgs := make([]kafka.Message, len(s.Records))
	for i, r := range s.Records {
		msgs[i] = kafka.Message{Key: decode(r.Key), Value: decode(r.Value)}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(s.Timeout)*time.Second)
	defer cancel()
	err := w.WriteMessages(ctx, msgs...)
	w.Close()
	out := map[string]interface{}{"written": len(msgs), "error": ""}
	if err != nil {
		out["error"] = err.Error()
	}
	return out
}

func group(s spec) map[string]interface{} {
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{s.Bootstrap}, GroupID: s.Group, Topic: s.Topic,
		MinBytes: 1, MaxBytes: 10 << 20, MaxWait: 100 * time.Millisecond, CommitInterval: 0,
		// 0.2.1's Close sends no LeaveGroup (seen on the wire), so the next member's join waits for
		// this one's session to expire: keep it at the broker's minimum rather than 30 s.
		SessionTimeout: 6 * time.Second, RebalanceTimeout: 6 * time.Second, HeartbeatInterval: time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(s.Timeout)*time.Second)
	defer cancel()
	records := []record{}
	errText := ""
	for len(records) < s.Count {
		m, err := r.FetchMessage(ctx)
		if err != nil {
			errText = err.Error()
			break
		}
		records = append(records, record{Partition: m.Partition, Offset: m.Offset,
			Key: base64.StdEncoding.EncodeToString(m.Key), Value: base64.StdEncoding.EncodeToString(m.Value)})
		if err := r.CommitMessages(ctx, m); err != nil {
			errText = "commit: " + err.Error()
			break
		}
	}
	if err := r.Close(); err != nil && errText == "" {
		errText = "close: " + err.Error()
	}
	return map[string]interface{}{"records": records, "error": errText}
}

func main() {
	if len(os.Args) == 2 && os.Args[1] == "version" {
		fmt.Println(`{"name": "kafka-go", "version": "0.2.1"}`)
		return
	}
	if len(os.Args) != 4 {
		fail("usage: kafka-go-interop version | produce SPEC OUT | group SPEC OUT")
	}
	raw, err := ioutil.ReadFile(os.Args[2])
	if err != nil {
		fail("%v", err)
	}
	var s spec
	if err := json.Unmarshal(raw, &s); err != nil {
		fail("spec: %v", err)
	}
	var out map[string]interface{}
	switch os.Args[1] {
	case "produce":
		out = produce(s)
	case "group":
		out = group(s)
	default:
		fail("unknown action %s", os.Args[1])
	}
	data, _ := json.Marshal(out)
	if err := ioutil.WriteFile(os.Args[3], data, 0o644); err != nil {
		fail("%v", err)
	}
}
