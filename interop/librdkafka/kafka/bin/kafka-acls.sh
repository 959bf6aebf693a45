#!/usr/bin/env bash
# kafka-acls.sh for librdkafka's tests: see kafka_tools.py beside this file.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec "${KAFKA_TOOLS_PYTHON:-$here/../../../../.venv/bin/python}" "$here/kafka_tools.py" acls "$@"
