#!/usr/bin/env python3
"""A plant's Sparkplug B edge nodes for Benchmarks/sparkplug-scale.sh: --nodes edge nodes in one
group, each with --metrics Double metrics (m0..m<n-1>, aliases 0..n-1), an NBIRTH each, then
--rounds NDATA per node carrying every metric by alias, --rate rounds a second (0: as fast as
possible). --loss drops that fraction of NDATA (seeded; never the birth or the last round): the gateway must fill
each lost message's metrics. Payloads through pysparkplug; one paho connection for all nodes.
Prints what it sent as one JSON line."""

import argparse
import json
import random
import time

import paho.mqtt.client as mqtt
import pysparkplug as sp

T0 = 1_795_660_000_000


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--nodes", type=int, default=200)
    p.add_argument("--metrics", type=int, default=50)
    p.add_argument("--rounds", type=int, default=60)
    p.add_argument("--rate", type=float, default=1.0)
    p.add_argument("--loss", type=float, default=0.0)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    rng = random.Random(a.seed)
    client = mqtt.Client(client_id="sparkplug-fleet", clean_session=True)
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.connect("127.0.0.1", a.port)
    client.loop_start()
    dt = sp.DataType.DOUBLE

    def publish(topic, payload):
        client.publish(topic, payload, qos=1)

    start = time.monotonic()
    for n in range(a.nodes):
        metrics = [sp.Metric(timestamp=T0, name="bdSeq", datatype=sp.DataType.UINT64, value=0)]
        metrics += [sp.Metric(timestamp=T0, name=f"m{i}", datatype=dt, value=52.0, alias=i) for i in range(a.metrics)]
        publish(f"spBv1.0/plant/NBIRTH/node{n}", sp.NBirth(timestamp=T0, seq=0, metrics=tuple(metrics)).encode(include_dtypes=True))
    sent = lost = 0
    for r in range(1, a.rounds + 1):
        ts = T0 + r * 1000
        for n in range(a.nodes):
            if r < a.rounds and rng.random() < a.loss:  # the last round always goes: a loss needs a later message to show
                lost += 1
                continue
            metrics = tuple(sp.Metric(timestamp=ts, name=None, datatype=dt, value=50.5 + ((r + i) % 40) / 10, alias=i) for i in range(a.metrics))
            publish(f"spBv1.0/plant/NDATA/node{n}", sp.NData(timestamp=ts, seq=r % 256, metrics=metrics).encode())
            sent += 1
        if a.rate > 0:
            ahead = start + r / a.rate - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)
    while client.want_write() or len(client._out_messages) > 0:  # wait for every PUBACK
        time.sleep(0.05)
    client.disconnect()
    client.loop_stop()
    print(json.dumps({"nodes": a.nodes, "metrics": a.metrics, "rounds": a.rounds, "data_sent": sent, "data_lost": lost,
                      "seconds": round(time.monotonic() - start, 2)}))


if __name__ == "__main__":
    main()
