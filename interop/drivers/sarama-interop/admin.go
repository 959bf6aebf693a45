package main

// `sarama-interop admin SPEC OUT`: sarama 1.22's ClusterAdmin against a broker, as an operator's Go
// tooling uses it: CreateTopic (CreateTopics v2) with a config entry, ListTopics (Metadata and
// DescribeConfigs v0), DescribeConfig (DescribeConfigs v0), DeleteTopic (DeleteTopics v1), and
// ListTopics again. The result records what each call returned, for the test to judge.

import (
	"github.com/Shopify/sarama"
)

type adminResult struct {
	Created        string            `json:"created"`
	Listed         bool              `json:"listed"`
	ListedParts    int32             `json:"listed_partitions"`
	ListedConfigs  map[string]string `json:"listed_configs"`
	ListError      string            `json:"list_error"`
	Described      map[string]string `json:"described"`
	DefaultKeys    []string          `json:"default_keys"`
	DescribeError  string            `json:"describe_error"`
	Deleted        string            `json:"deleted"`
	ListedAfter    bool              `json:"listed_after_delete"`
	ListAfterError string            `json:"list_after_error"`
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func admin(s *spec) (map[string]interface{}, bool) {
	var r adminResult
	ca, err := sarama.NewClusterAdmin([]string{s.Bootstrap}, baseConfig())
	if err != nil {
		fail("cluster admin: %v", err)
	}
	defer ca.Close()
	retention := "3600000"
	partitions := int32(3)
	if s.Create != nil && s.Create.Partitions > 0 {
		partitions = s.Create.Partitions
	}
	r.Created = errText(ca.CreateTopic(s.Topic, &sarama.TopicDetail{
		NumPartitions: partitions, ReplicationFactor: 1, ConfigEntries: map[string]*string{"retention.ms": &retention},
	}, false))
	topics, err := ca.ListTopics()
	r.ListError = errText(err)
	if d, ok := topics[s.Topic]; ok {
		r.Listed = true
		r.ListedParts = d.NumPartitions
		r.ListedConfigs = map[string]string{}
		for k, v := range d.ConfigEntries {
			if v != nil {
				r.ListedConfigs[k] = *v
			}
		}
	}
	entries, err := ca.DescribeConfig(sarama.ConfigResource{Type: sarama.TopicResource, Name: s.Topic})
	r.DescribeError = errText(err)
	r.Described = map[string]string{}
	for _, e := range entries {
		r.Described[e.Name] = e.Value
		if e.Default {
			r.DefaultKeys = append(r.DefaultKeys, e.Name)
		}
	}
	r.Deleted = errText(ca.DeleteTopic(s.Topic))
	after, err := ca.ListTopics()
	r.ListAfterError = errText(err)
	_, r.ListedAfter = after[s.Topic]
	ok := r.Created == "" && r.Listed && r.DescribeError == "" && r.Deleted == "" && !r.ListedAfter
	return map[string]interface{}{"admin": r}, ok
}
