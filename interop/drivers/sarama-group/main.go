// sarama-group is one consumer-group member for the group tests (interop/test_groups.py), with
// Debian's sarama 1.22.1 (GOPATH mode) and the same spec and events files as
// interop/drivers/group_consumer.py:
//
//	sarama-group version
//	sarama-group SPEC.json
//
// It joins spec.group through sarama's ConsumerGroup, appends every record it processes to the
// events file and marks it. sarama 1.22 has no synchronous commit: marked offsets are committed
// every Consumer.Offsets.CommitInterval (100 ms here), when a session ends (rebalance) and on
// Close, which also sends LeaveGroup. So "commit" events are not reported; commit failures come
// through the Errors channel as "error" events. Built by scripts/install-test-clients.sh into
// .gopath/bin/sarama-group.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io/ioutil"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/Shopify/sarama"
)

const saramaVersion = "1.22.1"

type spec struct {
	Bootstrap           string  `json:"bootstrap"`
	Topic               string  `json:"topic"`
	Group               string  `json:"group"`
	ClientID            string  `json:"client_id"`
	SessionTimeoutMs    int     `json:"session_timeout_ms"`
	HeartbeatIntervalMs int     `json:"heartbeat_interval_ms"`
	Events              string  `json:"events"`
	StopFile            string  `json:"stop_file"`
	MaxRecords          *int    `json:"max_records"`
	Close               string  `json:"close"`
	Timeout             float64 `json:"timeout"`
}

type events struct {
	mu sync.Mutex
	f  *os.File
}

func (e *events) write(ev string, fields map[string]interface{}) {
	if fields == nil {
		fields = map[string]interface{}{}
	}
	fields["ev"] = ev
	fields["t"] = float64(time.Now().UnixNano()) / 1e9
	line, _ := json.Marshal(fields)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.f.Write(append(line, '\n'))
	e.f.Sync()
}

func versionInfo() map[string]string {
	return map[string]string{"name": "sarama", "version": saramaVersion, "protocol": sarama.MaxVersion.String()}
}

type handler struct {
	s      *spec
	ev     *events
	mu     sync.Mutex
	count  int
	done   bool
	cancel context.CancelFunc
}

func (h *handler) partitions(sess sarama.ConsumerGroupSession) []int {
	out := []int{}
	for _, p := range sess.Claims()[h.s.Topic] {
		out = append(out, int(p))
	}
	sort.Ints(out)
	return out
}

func (h *handler) Setup(sess sarama.ConsumerGroupSession) error {
	h.ev.write("assigned", map[string]interface{}{"partitions": h.partitions(sess),
		"generation": sess.GenerationID(), "member_id": sess.MemberID()})
	return nil
}

func (h *handler) Cleanup(sess sarama.ConsumerGroupSession) error {
	h.ev.write("revoked", map[string]interface{}{"partitions": h.partitions(sess)})
	return nil
}

func (h *handler) ConsumeClaim(sess sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	for m := range claim.Messages() {
		h.mu.Lock()
		if h.done {
			h.mu.Unlock()
			return nil
		}
		var key interface{}
		if m.Key != nil {
			key = string(m.Key)
		}
		h.ev.write("record", map[string]interface{}{"p": m.Partition, "o": m.Offset, "k": key})
		sess.MarkOffset(m.Topic, m.Partition, m.Offset+1, "")
		h.count++
		if h.s.MaxRecords != nil && h.count >= *h.s.MaxRecords {
			h.done = true
			h.cancel()
		}
		h.mu.Unlock()
	}
	return nil
}

func main() {
	if len(os.Args) == 2 && os.Args[1] == "version" {
		out, _ := json.Marshal(versionInfo())
		fmt.Println(string(out))
		return
	}
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: sarama-group version | SPEC.json")
		os.Exit(1)
	}
	raw, err := ioutil.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var s spec
	if err := json.Unmarshal(raw, &s); err != nil {
		fmt.Fprintln(os.Stderr, "spec:", err)
		os.Exit(1)
	}
	if s.Timeout <= 0 {
		s.Timeout = 240
	}
	f, err := os.OpenFile(s.Events, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ev := &events{f: f}
	ev.write("start", map[string]interface{}{"client": versionInfo(), "pid": os.Getpid()})

	c := sarama.NewConfig()
	c.ClientID = s.ClientID
	c.Version = sarama.MaxVersion // 2.2.0, the newest protocol level this sarama knows
	c.Metadata.Retry.Max = 10
	c.Metadata.Retry.Backoff = 200 * time.Millisecond
	c.Net.DialTimeout = 5 * time.Second
	c.Consumer.Return.Errors = true
	c.Consumer.MaxWaitTime = 100 * time.Millisecond
	c.Consumer.Offsets.Initial = sarama.OffsetOldest
	c.Consumer.Offsets.CommitInterval = 100 * time.Millisecond
	if s.SessionTimeoutMs > 0 {
		c.Consumer.Group.Session.Timeout = time.Duration(s.SessionTimeoutMs) * time.Millisecond
	}
	if s.HeartbeatIntervalMs > 0 {
		c.Consumer.Group.Heartbeat.Interval = time.Duration(s.HeartbeatIntervalMs) * time.Millisecond
	}
	group, err := sarama.NewConsumerGroup([]string{s.Bootstrap}, s.Group, c)
	if err != nil {
		ev.write("error", map[string]interface{}{"error": "fatal: NewConsumerGroup: " + err.Error()})
		os.Exit(1)
	}
	go func() {
		for e := range group.Errors() {
			ev.write("error", map[string]interface{}{"error": "group: " + e.Error()})
		}
	}()

	ctx, cancel := context.WithCancel(context.Background())
	h := &handler{s: &s, ev: ev, cancel: cancel}
	reason := make(chan string, 1)
	deadline := time.Now().Add(time.Duration(s.Timeout * float64(time.Second)))
	go func() {
		for ctx.Err() == nil {
			if _, err := os.Stat(s.StopFile); err == nil {
				reason <- "stop_file"
				cancel()
				return
			}
			if time.Now().After(deadline) {
				reason <- "timeout"
				cancel()
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()

	ev.write("subscribe", nil)
	errorsInARow := 0
	for ctx.Err() == nil && errorsInARow < 20 {
		if err := group.Consume(ctx, []string{s.Topic}, h); err != nil {
			errorsInARow++
			ev.write("error", map[string]interface{}{"error": "consume: " + err.Error()})
			time.Sleep(500 * time.Millisecond)
		} else {
			errorsInARow = 0
		}
	}
	why := "max_records"
	select {
	case why = <-reason:
	default:
		if errorsInARow >= 20 {
			why = "errors"
		}
	}
	ev.write("stopping", map[string]interface{}{"reason": why})
	h.mu.Lock()
	count := h.count
	h.mu.Unlock()
	if s.Close == "abort" {
		ev.write("closed", map[string]interface{}{"records": count, "aborted": true})
		os.Exit(0)
	}
	if err := group.Close(); err != nil {
		ev.write("error", map[string]interface{}{"error": "close: " + err.Error()})
	}
	ev.write("closed", map[string]interface{}{"records": count})
	switch why {
	case "timeout":
		os.Exit(3)
	case "errors":
		os.Exit(2)
	}
}
