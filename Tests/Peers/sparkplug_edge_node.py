#!/usr/bin/env python3
"""A Sparkplug B edge node for the gateway's end-to-end tests, built on pysparkplug (an
implementation independent of the gateway's) for the payloads and paho-mqtt for the transport.

It plays what a plant's edge node does on a bad network, in a fixed order so the test knows
what to expect:

1. Sends an NDATA before any birth (as after the gateway lost its state): the gateway should
   hold it and ask for a rebirth; waits for that NCMD (Node Control/Rebirth). Once the birth
   comes, the gateway reads the held message first: its value is the epoch's seq 0, the birth's
   seq 1, and so on.
2. Answers with an NBIRTH (bdSeq 0): Temperature (Double, alias 1), Speed (Int32, alias 2, not
   mapped to a measurement), Label (String, alias 3).
3. Sends --messages NDATA by alias only, seq wrapping past 255, with faults: every tenth message
   from the third lost (every twentieth from the third only late, sent four messages on), every
   seventeenth sent twice, and pairs from every thirteenth from the fifth swapped.
4. Reboots: NDEATH (bdSeq 0), NBIRTH (bdSeq 1), then 20 NDATA without faults.

Writes what it sent as JSON to --out: per epoch, the Temperature value at each seq the gateway
should give it (the node's message counter from its birth), and the seqs lost for good.
"""

import argparse
import json
import sys
import threading
import time

import paho.mqtt.client as mqtt
import pysparkplug as sp

GROUP, NODE = "Plant1", "Line3"
T0 = 1_795_660_000_000


def topic(kind):
    return f"spBv1.0/{GROUP}/{kind}/{NODE}"


def value(i):
    return round(50.5 + (i % 40) / 10, 1)


def birth(bd_seq, ts):
    return sp.NBirth(
        timestamp=ts,
        seq=0,
        metrics=(
            sp.Metric(timestamp=ts, name="bdSeq", datatype=sp.DataType.UINT64, value=bd_seq),
            sp.Metric(timestamp=ts, name="Temperature", datatype=sp.DataType.DOUBLE, value=value(0), alias=1),
            sp.Metric(timestamp=ts, name="Speed", datatype=sp.DataType.INT32, value=-5, alias=2),
            sp.Metric(timestamp=ts, name="Label", datatype=sp.DataType.STRING, value="line 3", alias=3),
        ),
    ).encode(include_dtypes=True)


def data(i, ts):
    return sp.NData(
        timestamp=ts,
        seq=i % 256,
        metrics=(
            sp.Metric(timestamp=ts, name=None, datatype=sp.DataType.DOUBLE, value=value(i), alias=1),
            sp.Metric(timestamp=ts, name=None, datatype=sp.DataType.INT32, value=-i, alias=2),
        ),
    ).encode()


def death(bd_seq):
    return sp.NDeath(timestamp=None, bd_seq_metric=sp.Metric(timestamp=None, name="bdSeq", datatype=sp.DataType.UINT64, value=bd_seq)).encode()


def main():
    args = argparse.ArgumentParser()
    args.add_argument("--host", default="127.0.0.1")
    args.add_argument("--port", type=int, required=True)
    args.add_argument("--messages", type=int, default=300)
    args.add_argument("--out", required=True)
    args.add_argument("--timeout", type=float, default=120)
    a = args.parse_args()

    rebirth = threading.Event()
    subscribed = threading.Event()
    commands = []

    def on_message(_c, _u, m):
        cmd = sp.NCmd.decode(m.payload)
        names = [x.name for x in cmd.metrics]
        commands.append(names)
        if any(x.name == "Node Control/Rebirth" and x.value is True for x in cmd.metrics):
            rebirth.set()

    client = mqtt.Client(client_id=f"edge-{NODE}", clean_session=True)
    client.on_message = on_message
    client.on_subscribe = lambda *_: subscribed.set()
    client.will_set(topic("NDEATH"), death(0), qos=1)
    client.connect(a.host, a.port)
    client.loop_start()
    client.subscribe(topic("NCMD"), qos=1)
    if not subscribed.wait(a.timeout):
        sys.exit("no SUBACK")

    def send(kind, payload):
        client.publish(topic(kind), payload, qos=1).wait_for_publish(a.timeout)

    # 1. Data before any birth, until the gateway asks for a rebirth.
    deadline = time.monotonic() + a.timeout
    while not rebirth.wait(2):
        send("NDATA", data(7, T0 - 1000))
        if time.monotonic() > deadline:
            sys.exit("no rebirth request")

    # 2-3. Birth, then data with faults.
    send("NBIRTH", birth(0, T0))
    sent1 = {0: value(0)}
    lost = []
    order = []
    held = {}
    i = 1
    while i <= a.messages:
        if i % 10 == 3:
            if i % 20 == 3:
                held[i + 4] = i  # sent late, after message i + 4
                sent1[i] = value(i)
            else:
                lost.append(i)
            i += 1
            continue
        if i % 13 == 5 and i + 1 <= a.messages and (i + 1) % 10 != 3:
            order += [i + 1, i]
            sent1[i], sent1[i + 1] = value(i), value(i + 1)
            for j in (i, i + 1):
                if j in held:
                    order.append(held.pop(j))
            i += 2
            continue
        order.append(i)
        sent1[i] = value(i)
        if i % 17 == 0:
            order.append(i)
        if i in held:
            order.append(held.pop(i))
        i += 1
    for j in order:
        send("NDATA", data(j, T0 + j * 1000))

    # 4. Reboot with the next bdSeq.
    send("NDEATH", death(0))
    t1 = T0 + (a.messages + 10) * 1000
    send("NBIRTH", birth(1, t1))
    sent2 = {0: value(0)}
    for j in range(1, 21):
        send("NDATA", data(j, t1 + j * 1000))
        sent2[j] = value(j)

    # The data held for the birth comes first in the gateway's epoch: every counter one on.
    held1 = {0: value(7), **{i + 1: v for i, v in sent1.items()}}
    lost1 = [i + 1 for i in lost]
    with open(a.out, "w") as f:
        json.dump({"epochs": [{"values": held1, "lost": lost1}, {"values": sent2, "lost": []}], "commands": commands}, f)
    client.disconnect()
    client.loop_stop()


if __name__ == "__main__":
    main()
