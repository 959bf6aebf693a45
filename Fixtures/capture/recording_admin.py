"""The recording broker's answers to the topic-admin and group-admin APIs.

A mixin of `recording_broker.Handlers` (it uses `self.st`, the in-memory `BrokerState`), kept in
its own file so that the capture scenarios `topic-admin`, `group-admin` and `describe-quorum` can
grow without touching the produce / consume side of the broker. Like the rest of the recording
broker it is plausible, not faithful: enough for stock admin clients to carry on and to verify
what they asked for.

Served (keys into `ADMIN_APIS`, each with Kafka 3.9's full `validVersions`):
  DescribeGroups (15), ListGroups (16), DeleteTopics (20), DeleteRecords (21),
  CreatePartitions (37), DeleteGroups (42), IncrementalAlterConfigs (44), OffsetDelete (47),
  DescribeQuorum (55).
"""

import time

E_OFFSET_OUT_OF_RANGE = 1
E_UNKNOWN_TOPIC_OR_PARTITION = 3
E_INVALID_PARTITIONS = 37
E_INVALID_REQUEST = 42
E_NON_EMPTY_GROUP = 68
E_GROUP_ID_NOT_FOUND = 69
E_GROUP_SUBSCRIBED_TO_TOPIC = 86
E_UNKNOWN_TOPIC_ID = 100

# Kafka's AclOperation codes: READ 3, DELETE 6, DESCRIBE 8 (what a group allows its owner).
GROUP_AUTHORIZED_OPERATIONS = (1 << 3) | (1 << 6) | (1 << 8)
NO_AUTHORIZED_OPERATIONS = -2147483648  # "not requested"

CLUSTER_METADATA_TOPIC = "__cluster_metadata"


def _config_list(value):
    return [v for v in (value or "").split(",") if v]


class AdminHandlers:
    """Topic and group administration over `self.st` (topics, groups, their offsets)."""

    # ---- Topics

    def delete_topics(self, ctx, v, req):
        """v0-5 name topics; v6 names or topic ids (zero uuid = by name)."""
        wanted = ([{"Name": n, "TopicId": bytes(16)} for n in req["TopicNames"]] if v < 6
                  else req["Topics"])
        results = []
        with self.st.lock:
            for w in wanted:
                name, tid = w.get("Name"), w.get("TopicId") or bytes(16)
                t = self.st.topics.get(name) if name is not None else self.st.topic_by_id(tid)
                if t is None:
                    err = E_UNKNOWN_TOPIC_ID if name is None else E_UNKNOWN_TOPIC_OR_PARTITION
                    results.append({"Name": name, "TopicId": tid, "ErrorCode": err, "ErrorMessage": None})
                    continue
                del self.st.topics[t.name]
                self.log("deleted topic %r" % t.name)
                results.append({"Name": t.name, "TopicId": t.id, "ErrorCode": 0, "ErrorMessage": None})
        return {"ThrottleTimeMs": 0, "Responses": results}

    def create_partitions(self, ctx, v, req):
        results = []
        with self.st.lock:
            for ct in req["Topics"]:
                name, count = ct["Name"], ct["Count"]
                t = self.st.topics.get(name)
                if t is None:
                    err, msg = E_UNKNOWN_TOPIC_OR_PARTITION, "Topic '%s' does not exist." % name
                elif count <= len(t.partitions):
                    err, msg = E_INVALID_PARTITIONS, "Topic currently has %d partitions, %d would not be an increase." % (
                        len(t.partitions), count)
                else:
                    err, msg = 0, None
                    if not req["ValidateOnly"]:
                        kind = type(t.partitions[0])
                        t.partitions.extend(kind() for _ in range(count - len(t.partitions)))
                        self.log("topic %r now has %d partitions" % (name, count))
                results.append({"Name": name, "ErrorCode": err, "ErrorMessage": msg})
        return {"ThrottleTimeMs": 0, "Results": results}

    def incremental_alter_configs(self, ctx, v, req):
        """SET 0, DELETE 1, APPEND 2, SUBTRACT 3 on topic configs; broker resources are accepted as is."""
        results = []
        with self.st.lock:
            for r in req["Resources"]:
                rtype, rname = r["ResourceType"], r["ResourceName"]
                res = {"ErrorCode": 0, "ErrorMessage": None, "ResourceType": rtype, "ResourceName": rname}
                results.append(res)
                if rtype != 2:
                    continue
                t = self.st.topics.get(rname)
                if t is None:
                    res.update({"ErrorCode": E_UNKNOWN_TOPIC_OR_PARTITION, "ErrorMessage": "Unknown topic"})
                    continue
                configs = dict(t.configs)
                for c in r["Configs"]:
                    op, key, value = c["ConfigOperation"], c["Name"], c["Value"]
                    if op == 0:
                        configs[key] = value
                    elif op == 1:
                        configs.pop(key, None)
                    elif op in (2, 3):
                        items = _config_list(configs.get(key))
                        for item in _config_list(value):
                            if op == 2 and item not in items:
                                items.append(item)
                            elif op == 3 and item in items:
                                items.remove(item)
                        configs[key] = ",".join(items)
                    else:
                        res.update({"ErrorCode": E_INVALID_REQUEST, "ErrorMessage": "operation %d" % op})
                        break
                if res["ErrorCode"] == 0 and not req["ValidateOnly"]:
                    t.configs = configs
                    self.log("topic %r configs now %s" % (rname, configs))
        return {"ThrottleTimeMs": 0, "Responses": results}

    def delete_records(self, ctx, v, req):
        """Moves a partition's log start offset up to Offset (-1: the high watermark)."""
        topics = []
        with self.st.lock:
            for dt in req["Topics"]:
                t = self.st.topics.get(dt["Name"])
                parts = []
                for dp in dt["Partitions"]:
                    idx, off = dp["PartitionIndex"], dp["Offset"]
                    if t is None or not 0 <= idx < len(t.partitions):
                        parts.append({"PartitionIndex": idx, "LowWatermark": -1,
                                      "ErrorCode": E_UNKNOWN_TOPIC_OR_PARTITION})
                        continue
                    p = t.partitions[idx]
                    off = p.log_end if off == -1 else off
                    start = getattr(p, "log_start", 0)
                    if off < 0 or off > p.log_end:
                        parts.append({"PartitionIndex": idx, "LowWatermark": -1, "ErrorCode": E_OFFSET_OUT_OF_RANGE})
                        continue
                    p.log_start = max(start, off)
                    p.batches = [b for b in p.batches if b[1] > p.log_start]
                    parts.append({"PartitionIndex": idx, "LowWatermark": p.log_start, "ErrorCode": 0})
                topics.append({"Name": dt["Name"], "Partitions": parts})
        return {"ThrottleTimeMs": 0, "Topics": topics}

    # ---- Groups

    @staticmethod
    def _group_type(g):
        return "classic"

    def list_groups(self, ctx, v, req):
        """v4+ StatesFilter and v5+ TypesFilter, both case-insensitive as in Kafka."""
        states = {s.lower() for s in req.get("StatesFilter") or []}
        types = {s.lower() for s in req.get("TypesFilter") or []}
        groups = []
        with self.st.lock:
            for g in self.st.groups.values():
                if states and g.state.lower() not in states:
                    continue
                if types and self._group_type(g) not in types:
                    continue
                groups.append({"GroupId": g.id, "ProtocolType": g.protocol_type or "",
                               "GroupState": g.state, "GroupType": self._group_type(g)})
        return {"ThrottleTimeMs": 0, "ErrorCode": 0, "Groups": groups}

    def describe_groups(self, ctx, v, req):
        """Unknown groups are described as Dead with no error, as Kafka does."""
        ops = GROUP_AUTHORIZED_OPERATIONS if req.get("IncludeAuthorizedOperations") else NO_AUTHORIZED_OPERATIONS
        out = []
        with self.st.lock:
            for gid in req["Groups"]:
                g = self.st.groups.get(gid)
                if g is None:
                    out.append({"ErrorCode": 0, "GroupId": gid, "GroupState": "Dead", "ProtocolType": "",
                                "ProtocolData": "", "Members": [], "AuthorizedOperations": ops})
                    continue
                members = []
                for m in g.members.values():
                    meta = dict(m.protocols).get(g.protocol, b"")
                    members.append({"MemberId": m.id, "GroupInstanceId": m.instance_id,
                                    "ClientId": m.client_id or "", "ClientHost": "/" + (m.client_host or ""),
                                    "MemberMetadata": meta if g.state != "PreparingRebalance" else b"",
                                    "MemberAssignment": m.assignment if g.state == "Stable" else b""})
                out.append({"ErrorCode": 0, "GroupId": gid, "GroupState": g.state,
                            "ProtocolType": g.protocol_type or "",
                            "ProtocolData": (g.protocol or "") if g.state == "Stable" else "",
                            "Members": members, "AuthorizedOperations": ops})
        return {"ThrottleTimeMs": 0, "Groups": out}

    def delete_groups(self, ctx, v, req):
        results = []
        with self.st.lock:
            for gid in req["GroupsNames"]:
                g = self.st.groups.get(gid)
                if g is None:
                    err = E_GROUP_ID_NOT_FOUND
                elif g.members:
                    err = E_NON_EMPTY_GROUP
                else:
                    del self.st.groups[gid]
                    self.log("deleted group %r" % gid)
                    err = 0
                results.append({"GroupId": gid, "ErrorCode": err})
        return {"ThrottleTimeMs": 0, "Results": results}

    def offset_delete(self, ctx, v, req):
        """Removes committed offsets; refused per partition while a member is subscribed to the topic."""
        with self.st.lock:
            g = self.st.groups.get(req["GroupId"])
            if g is None:
                return {"ErrorCode": E_GROUP_ID_NOT_FOUND, "ThrottleTimeMs": 0, "Topics": []}
            subscribed = bool(g.members)  # members' subscriptions are not decoded here: assume subscribed
            topics = []
            for t in req["Topics"]:
                parts = []
                for p in t["Partitions"]:
                    idx = p["PartitionIndex"]
                    if subscribed:
                        parts.append({"PartitionIndex": idx, "ErrorCode": E_GROUP_SUBSCRIBED_TO_TOPIC})
                        continue
                    g.offsets.pop((t["Name"], idx), None)
                    self.log("group %s: deleted offset of %s[%d]" % (g.id, t["Name"], idx))
                    parts.append({"PartitionIndex": idx, "ErrorCode": 0})
                topics.append({"Name": t["Name"], "Partitions": parts})
        return {"ErrorCode": 0, "ThrottleTimeMs": 0, "Topics": topics}

    # ---- KRaft

    def describe_quorum(self, ctx, v, req):
        """A single voter (this node) leads __cluster_metadata; other partitions are unknown."""
        now_ms = int(time.time() * 1000)
        hw = 42
        voter = {"ReplicaId": self.node_id, "ReplicaDirectoryId": bytes(range(1, 17)), "LogEndOffset": hw,
                 "LastFetchTimestamp": now_ms, "LastCaughtUpTimestamp": now_ms}
        topics = []
        for t in req["Topics"]:
            parts = []
            for p in t["Partitions"]:
                if t["TopicName"] == CLUSTER_METADATA_TOPIC and p["PartitionIndex"] == 0:
                    parts.append({"PartitionIndex": 0, "ErrorCode": 0, "ErrorMessage": None,
                                  "LeaderId": self.node_id, "LeaderEpoch": 1, "HighWatermark": hw,
                                  "CurrentVoters": [voter], "Observers": []})
                else:
                    parts.append({"PartitionIndex": p["PartitionIndex"], "ErrorCode": E_UNKNOWN_TOPIC_OR_PARTITION,
                                  "ErrorMessage": None, "LeaderId": -1, "LeaderEpoch": -1, "HighWatermark": -1,
                                  "CurrentVoters": [], "Observers": []})
            topics.append({"TopicName": t["TopicName"], "Partitions": parts})
        nodes = [{"NodeId": self.node_id,
                  "Listeners": [{"Name": "CONTROLLER", "Host": self.st.host, "Port": self.st.port}]}]
        return {"ErrorCode": 0, "ErrorMessage": None, "Topics": topics, "Nodes": nodes}

    def admin_dispatch(self):
        return {15: self.describe_groups, 16: self.list_groups, 20: self.delete_topics, 21: self.delete_records,
                37: self.create_partitions, 42: self.delete_groups, 44: self.incremental_alter_configs,
                47: self.offset_delete, 55: self.describe_quorum}


ADMIN_APIS = [15, 16, 20, 21, 37, 42, 44, 47, 55]
