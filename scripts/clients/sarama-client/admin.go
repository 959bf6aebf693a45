package main

// The topic-admin and group-admin capture scenarios. sarama 1.22's ClusterAdmin is used where it
// has the call; where it has none (DescribeConfigs with synonyms, DeleteGroups) the request goes
// through sarama's own Broker methods, so the bytes are still sarama's encoders'.

import (
	"fmt"
	"time"

	"github.com/Shopify/sarama"
)

// runAdminScenario runs scenario if it is one of this file's; reports whether it was.
func runAdminScenario(scenario string, addrs []string, topic, group string) bool {
	switch scenario {
	case "topic-admin":
		topicAdmin(addrs, topic)
	case "group-admin":
		groupAdmin(addrs, topic, group)
	default:
		return false
	}
	return true
}

func newAdmin(addrs []string) sarama.ClusterAdmin {
	admin, err := sarama.NewClusterAdmin(addrs, baseConfig())
	if err != nil {
		fail("admin: %v", err)
	}
	return admin
}

// topicAdmin: create a 2-partition topic, grow it to 4, describe its configs (v1, with synonyms),
// delete records up to the high watermark, delete the topic. sarama 1.22 has no
// IncrementalAlterConfigs; its AlterConfig sends the legacy AlterConfigs (key 33), which Strom
// serves (interop/test_admin_clients.py sends it with librdkafka) but this scenario does not capture.
func topicAdmin(addrs []string, topic string) {
	admin := newAdmin(addrs)
	defer admin.Close()
	if err := admin.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: 2, ReplicationFactor: 1}, false); err != nil {
		fail("create topic: %v", err)
	}
	if err := admin.CreatePartitions(topic, 4, nil, false); err != nil {
		fail("create partitions: %v", err)
	}
	md, err := admin.DescribeTopics([]string{topic})
	if err != nil || len(md) != 1 || len(md[0].Partitions) != 4 {
		fail("describe topics after create partitions: %v %+v", err, md)
	}
	client, err := sarama.NewClient(addrs, baseConfig())
	if err != nil {
		fail("client: %v", err)
	}
	defer client.Close()
	controller, err := client.Controller()
	if err != nil {
		fail("controller: %v", err)
	}
	dc, err := controller.DescribeConfigs(&sarama.DescribeConfigsRequest{
		Version:         1,
		Resources:       []*sarama.ConfigResource{{Type: sarama.TopicResource, Name: topic}},
		IncludeSynonyms: true,
	})
	if err != nil || len(dc.Resources) != 1 || dc.Resources[0].ErrorCode != 0 || len(dc.Resources[0].Configs) == 0 {
		fail("describe configs: %v %+v", err, dc)
	}
	for _, c := range dc.Resources[0].Configs {
		fmt.Printf("config %s=%s\n", c.Name, c.Value)
	}
	if err := admin.DeleteRecords(topic, map[int32]int64{0: -1, 1: -1}); err != nil {
		fail("delete records: %v", err)
	}
	if err := admin.DeleteTopic(topic); err != nil {
		fail("delete topic: %v", err)
	}
	fmt.Printf("created, grew, described, truncated and deleted %s\n", topic)
}

// groupAdmin: commit offsets for a group without members (sarama's offset manager, generation
// -1), list the groups, describe the group, read its offsets, delete it, check it is gone.
func groupAdmin(addrs []string, topic, group string) {
	admin := newAdmin(addrs)
	defer admin.Close()
	if err := admin.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: 2, ReplicationFactor: 1}, false); err != nil {
		fail("create topic: %v", err)
	}
	wanted := map[int32]int64{0: 3, 1: 5}
	commitWithoutJoining(addrs, topic, group, wanted)

	groups, err := admin.ListConsumerGroups()
	if err != nil {
		fail("list groups: %v", err)
	}
	if _, ok := groups[group]; !ok {
		fail("group %s not listed: %v", group, groups)
	}
	desc, err := admin.DescribeConsumerGroups([]string{group})
	if err != nil || len(desc) != 1 || desc[0].Err != sarama.ErrNoError {
		fail("describe groups: %v %+v", err, desc)
	}
	fmt.Printf("described %s: state %s, %d members\n", desc[0].GroupId, desc[0].State, len(desc[0].Members))
	offsets, err := admin.ListConsumerGroupOffsets(group, map[string][]int32{topic: {0, 1}})
	if err != nil {
		fail("list offsets: %v", err)
	}
	for p, want := range wanted {
		if b := offsets.GetBlock(topic, p); b == nil || b.Offset != want || b.Err != sarama.ErrNoError {
			fail("offset of %s[%d]: %+v, want %d", topic, p, b, want)
		}
	}
	client, err := sarama.NewClient(addrs, baseConfig())
	if err != nil {
		fail("client: %v", err)
	}
	defer client.Close()
	coordinator, err := client.Coordinator(group)
	if err != nil {
		fail("coordinator: %v", err)
	}
	dg, err := coordinator.DeleteGroups(&sarama.DeleteGroupsRequest{Groups: []string{group}})
	if err != nil || dg.GroupErrorCodes[group] != sarama.ErrNoError {
		fail("delete groups: %v %+v", err, dg)
	}
	groups, err = admin.ListConsumerGroups()
	if err != nil {
		fail("list groups: %v", err)
	}
	if _, ok := groups[group]; ok {
		fail("group %s still listed after DeleteGroups", group)
	}
	fmt.Printf("committed %v, listed, described, read back and deleted %s\n", wanted, group)
}

// commitWithoutJoining commits offsets through sarama's offset manager outside any group
// generation, the way a sarama application that assigns partitions itself commits.
func commitWithoutJoining(addrs []string, topic, group string, offsets map[int32]int64) {
	c := baseConfig()
	c.Consumer.Offsets.CommitInterval = 100 * time.Millisecond
	client, err := sarama.NewClient(addrs, c)
	if err != nil {
		fail("client: %v", err)
	}
	defer client.Close()
	om, err := sarama.NewOffsetManagerFromClient(group, client)
	if err != nil {
		fail("offset manager: %v", err)
	}
	for p, o := range offsets {
		pom, err := om.ManagePartition(topic, p)
		if err != nil {
			fail("manage %s[%d]: %v", topic, p, err)
		}
		pom.MarkOffset(o, "")
		if err := pom.Close(); err != nil {
			fail("close %s[%d]: %v", topic, p, err)
		}
	}
	if err := om.Close(); err != nil { // flushes the marked offsets
		fail("offset manager close: %v", err)
	}
}
