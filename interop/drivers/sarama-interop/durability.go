package main

// The fault tests' long-running producer for sarama: idempotent, acks=all, until the stop file
// appears. Every delivery report goes to --acks-file as it arrives, one line each, exactly as
// interop/drivers/durability_producer.py writes them:
//
//	ok KEY PARTITION OFFSET
//	err KEY PARTITION ERROR...
//
// Record i has key PREFIX + "%09d" of i, goes to partition i % --partitions, and its value is
// durability_value(key, --value-size): "KEY|" repeated and cut to the size. At most
// --max-in-flight records are unacknowledged at once. At the stop file (or --timeout) it stops
// producing, waits up to --flush-timeout for the outstanding reports, and writes a JSON summary
// (produced, acked, failed, unflushed, errors, client_errors, fatal, seconds, stopped_by, restarts).
//
// sarama 1.22.1 cannot get past OUT_OF_ORDER_SEQUENCE_NUMBER (it has no epoch bump; it answers a
// retry it re-batched after a broken connection): every later record of that partition would fail.
// So, as an application would, on that error it stops sending, waits for every outstanding report,
// closes the producer and opens a new one (a new producer id), and goes on with the next key.
// --batch-records N caps the records of one produce request (sarama's Flush.MaxMessages).

import (
	"encoding/json"
	"flag"
	"fmt"
	"io/ioutil"
	"os"
	"strings"
	"time"

	"github.com/Shopify/sarama"
)

func durabilityValue(key string, size int) []byte {
	unit := []byte(key + "|")
	out := make([]byte, 0, size+len(unit))
	for len(out) < size {
		out = append(out, unit...)
	}
	return out[:size]
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func durability(args []string) int {
	fs := flag.NewFlagSet("durability", flag.ExitOnError)
	bootstrap := fs.String("bootstrap", "", "comma-separated host:port list")
	topic := fs.String("topic", "", "")
	partitions := fs.Int("partitions", 3, "")
	valueSize := fs.Int("value-size", 100, "")
	maxInFlight := fs.Int("max-in-flight", 2000, "")
	prefix := fs.String("key-prefix", "s", "")
	acksPath := fs.String("acks-file", "", "")
	stopPath := fs.String("stop-file", "", "")
	summaryPath := fs.String("summary-file", "", "")
	progressPath := fs.String("progress-file", "", "")
	timeout := fs.Float64("timeout", 240, "give up producing after this many seconds")
	flushTimeout := fs.Float64("flush-timeout", 120, "")
	batchRecords := fs.Int("batch-records", 0, "records per produce request (Flush.MaxMessages; 0: sarama's default, unbounded)")
	_ = fs.Parse(args)
	if *bootstrap == "" || *topic == "" || *acksPath == "" || *stopPath == "" || *summaryPath == "" {
		fail("durability: --bootstrap, --topic, --acks-file, --stop-file and --summary-file are required")
	}

	c := baseConfig()
	c.ClientID = "sarama-durability"
	c.Producer.Return.Successes = true
	c.Producer.Return.Errors = true
	c.Producer.RequiredAcks = sarama.WaitForAll
	c.Producer.Partitioner = sarama.NewManualPartitioner
	c.Producer.Idempotent = true
	c.Net.MaxOpenRequests = 1 // sarama's idempotent producer requires it
	c.Producer.Retry.Max = 1000
	c.Producer.Retry.Backoff = 100 * time.Millisecond
	c.Producer.Flush.Frequency = 5 * time.Millisecond
	c.Producer.Flush.MaxMessages = *batchRecords
	c.Metadata.Retry.Max = 1000
	c.Metadata.Retry.Backoff = 250 * time.Millisecond
	brokers := strings.Split(*bootstrap, ",")
	p, err := sarama.NewAsyncProducer(brokers, c)
	if err != nil {
		fail("producer: %v", err)
	}
	restarts := 0
	restart := false
	acks, err := os.Create(*acksPath)
	if err != nil {
		fail("%v", err)
	}
	var progress *os.File
	if *progressPath != "" {
		if progress, err = os.Create(*progressPath); err != nil {
			fail("%v", err)
		}
	}

	start := time.Now()
	produced, acked, failed := 0, 0, 0
	errs := []string{}
	clientErrs := []string{}
	notOurs := func(what string) {
		// sarama 1.22 can hand one of its own retry markers (a message without our metadata) to
		// Successes or Errors; it is none of ours.
		if len(clientErrs) < 20 {
			clientErrs = append(clientErrs, "a message that is not ours: "+what)
		}
	}
	onSuccess := func(m *sarama.ProducerMessage) {
		key, ours := m.Metadata.(string)
		if !ours {
			notOurs(fmt.Sprintf("success at %d@%d", m.Partition, m.Offset))
			return
		}
		acked++
		fmt.Fprintf(acks, "ok %s %d %d\n", key, m.Partition, m.Offset)
	}
	onError := func(e *sarama.ProducerError) {
		key, ours := e.Msg.Metadata.(string)
		if !ours {
			notOurs(e.Err.Error())
			return
		}
		failed++
		if e.Err == sarama.ErrOutOfOrderSequenceNumber {
			restart = true
		}
		text := strings.Replace(e.Err.Error(), "\n", " ", -1)
		if len(errs) < 20 {
			errs = append(errs, key+": "+text)
		}
		fmt.Fprintf(acks, "err %s %d %s\n", key, e.Msg.Partition, text)
	}
	ticker := time.NewTicker(20 * time.Millisecond)
	defer ticker.Stop()
	stop := func() bool {
		return fileExists(*stopPath) || time.Since(start).Seconds() > *timeout
	}
	next := func() *sarama.ProducerMessage {
		key := fmt.Sprintf("%s%09d", *prefix, produced)
		return &sarama.ProducerMessage{Topic: *topic, Partition: int32(produced % *partitions), Metadata: key,
			Key: sarama.StringEncoder(key), Value: sarama.ByteEncoder(durabilityValue(key, *valueSize))}
	}
	pending := next()
	for !stop() {
		if restart && produced == acked+failed {
			_ = p.Close()
			if p, err = sarama.NewAsyncProducer(brokers, c); err != nil {
				fail("producer after %d restarts: %v", restarts, err)
			}
			restarts++
			restart = false
		}
		if !restart && produced-acked-failed < *maxInFlight {
			select {
			case p.Input() <- pending:
				produced++
				if progress != nil && produced%10 == 0 {
					fmt.Fprintf(progress, "%d\n", produced)
				}
				pending = next()
			case m := <-p.Successes():
				onSuccess(m)
			case e := <-p.Errors():
				onError(e)
			case <-ticker.C:
			}
		} else {
			select {
			case m := <-p.Successes():
				onSuccess(m)
			case e := <-p.Errors():
				onError(e)
			case <-ticker.C:
			}
		}
	}
	flushDeadline := time.After(time.Duration(*flushTimeout * float64(time.Second)))
flush:
	for acked+failed < produced {
		select {
		case m := <-p.Successes():
			onSuccess(m)
		case e := <-p.Errors():
			onError(e)
		case <-flushDeadline:
			break flush
		}
	}
	unflushed := produced - acked - failed
	if unflushed == 0 {
		_ = p.Close()
	}
	acks.Close()
	if progress != nil {
		progress.Close()
	}
	stoppedBy := "timeout"
	if fileExists(*stopPath) {
		stoppedBy = "stop file"
	}
	summary := map[string]interface{}{
		"produced": produced, "acked": acked, "failed": failed, "unflushed": unflushed, "errors": errs,
		"client_errors": clientErrs, "fatal": nil, "seconds": time.Since(start).Seconds(), "stopped_by": stoppedBy,
		"client": versionInfo(), "restarts": restarts,
	}
	out, _ := json.Marshal(summary)
	if err := ioutil.WriteFile(*summaryPath, out, 0o644); err != nil {
		fail("%v", err)
	}
	fmt.Println(string(out))
	return 0
}
