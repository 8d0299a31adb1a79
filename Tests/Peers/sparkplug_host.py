#!/usr/bin/env python3
"""A Sparkplug B host application for the gateway's end-to-end tests, built on pysparkplug (an
implementation independent of the gateway's) for the payloads and paho-mqtt for the transport.

It consumes one edge node (--group, --node: the gateway's own, `sparkplug-edge-node`) as a
Sparkplug 3.0 host does, and checks what a host relies on:

- every NBIRTH has seq 0 and a bdSeq metric; an NDEATH whose bdSeq is the current birth's ends
  the session (one with another bdSeq is stale and ignored, as section 7.1 says);
- within a birth, each message's seq is the previous one's plus one (mod 256), births included;
- a DBIRTH names every metric with an alias unique across the node and a datatype; DDATA uses
  only aliases its device's birth declared;
- each value carries the Quality property (192 for ok; 64 for corrected, synthetic, restated;
  0 for gap) with the gateway's flag and the sensor's seq as properties; a gap is null, a
  restated value historical.

A message of the node before any birth makes it ask for one (NCMD Node Control/Rebirth), as
Ignition does; it also asks once at start (a host coming online late) and whenever --ask-file
appears (deleted once asked). Each event is a JSON line in --out, flushed at once: births,
deaths, rebirth requests, values (from births and data alike), violations. Runs until SIGTERM.
"""

import argparse
import json
import os
import signal
import sys
import threading

import paho.mqtt.client as mqtt
import pysparkplug as sp
from pysparkplug import _protobuf as pb

QUALITY = {"ok": 192, "corrected": 64, "synthetic": 64, "restated": 64, "gap": 0}


def properties(metric):
    out = {}
    for key, value in zip(metric.properties.keys, metric.properties.values):
        kind = value.WhichOneof("value")
        out[key] = getattr(value, kind) if kind else None
    return out


def main():
    args = argparse.ArgumentParser()
    args.add_argument("--host", default="127.0.0.1")
    args.add_argument("--port", type=int, required=True)
    args.add_argument("--group", required=True)
    args.add_argument("--node", required=True)
    args.add_argument("--out", required=True)
    args.add_argument("--ask-file")
    a = args.parse_args()

    out = open(a.out, "a", buffering=1)
    lock = threading.Lock()
    state = {"bd_seq": None, "next_seq": None, "aliases": {}, "names": {}, "asked": False}
    base = f"spBv1.0/{a.group}"
    ncmd = f"{base}/NCMD/{a.node}"

    def emit(**event):
        out.write(json.dumps(event) + "\n")

    def violation(what):
        emit(event="violation", what=what)

    def ask_rebirth(client, why):
        payload = sp.NCmd(
            timestamp=sp.get_current_timestamp(),
            metrics=(sp.Metric(timestamp=sp.get_current_timestamp(), name="Node Control/Rebirth", datatype=sp.DataType.BOOLEAN, value=True),),
        ).encode(include_dtypes=True)
        client.publish(ncmd, payload, qos=0)
        emit(event="rebirth_asked", why=why)

    def value_event(device, name, m, from_birth):
        props = properties(m)
        flag = props.get("flag")
        code = props.get("Quality")
        if flag not in QUALITY:
            violation(f"{device}/{name}: flag {flag!r}")
        elif code != QUALITY[flag]:
            violation(f"{device}/{name}: Quality {code} for {flag}")
        if "seq" not in props:
            violation(f"{device}/{name}: no seq property")
        if (flag == "gap") != m.is_null:
            violation(f"{device}/{name}: is_null {m.is_null} for {flag}")
        if (flag == "restated") != m.is_historical and not from_birth:
            violation(f"{device}/{name}: is_historical {m.is_historical} for {flag}")
        kind = m.WhichOneof("value")
        emit(
            event="value", device=device, metric=name, seq=props.get("seq"), flag=flag, quality=code,
            value=None if m.is_null else (getattr(m, kind) if kind else None), ts=m.timestamp, to_seq=props.get("to_seq"),
            birth=from_birth, bdSeq=state["bd_seq"],
        )

    def on_message(client, _u, msg):
        with lock:
            handle(client, msg)

    def handle(client, msg):
        levels = msg.topic.split("/")
        if len(levels) < 4 or levels[3] != a.node:
            return
        kind = levels[2]
        if kind in ("NCMD", "DCMD"):  # hosts' commands to the node, not the node's messages
            return
        payload = pb.Payload.FromString(msg.payload)
        if kind == "NDEATH":
            bd = next((m.long_value for m in payload.metrics if m.name == "bdSeq"), None)
            emit(event="death", bdSeq=bd, current=state["bd_seq"])
            if bd is None:
                violation("NDEATH without bdSeq")
            elif bd == state["bd_seq"]:
                state["bd_seq"] = None
                state["next_seq"] = None
            return
        if not payload.HasField("seq"):
            violation(f"{kind} without seq")
            return
        if kind == "NBIRTH":
            bd = next((m.long_value for m in payload.metrics if m.name == "bdSeq"), None)
            if payload.seq != 0:
                violation(f"NBIRTH seq {payload.seq}")
            if bd is None:
                violation("NBIRTH without bdSeq")
            if not any(m.name == "Node Control/Rebirth" for m in payload.metrics):
                violation("NBIRTH without Node Control/Rebirth")
            rebirth = bd is not None and bd == state["bd_seq"]
            state.update(bd_seq=bd, next_seq=1, aliases={}, names={})
            emit(event="birth", bdSeq=bd, rebirth=rebirth)
            return
        if state["bd_seq"] is None:
            if not state["asked"]:
                state["asked"] = True
                ask_rebirth(client, f"{kind} before a birth")
            return
        if payload.seq != state["next_seq"]:
            violation(f"{kind} seq {payload.seq}, expected {state['next_seq']}")
            emit(event="seq_break", got=payload.seq, expected=state["next_seq"])
        state["next_seq"] = (payload.seq + 1) % 256
        device = levels[4] if len(levels) > 4 else None
        if kind == "DBIRTH":
            birth = sp.DBirth.decode(msg.payload)
            for m, raw in zip(birth.metrics, payload.metrics):
                if raw.datatype != pb.DataType.Value("Double"):
                    violation(f"{device}/{m.name}: datatype {raw.datatype}")
                owner = state["aliases"].get(raw.alias)
                if owner is not None and owner != (device, m.name):
                    violation(f"alias {raw.alias} of {owner} and of {(device, m.name)}")
                state["aliases"][raw.alias] = (device, m.name)
                state["names"].setdefault(device, {})[raw.alias] = m.name
                value_event(device, m.name, raw, True)
        elif kind == "DDATA":
            names = state["names"].get(device)
            if names is None:
                violation(f"DDATA of {device} before its DBIRTH")
                return
            for raw in payload.metrics:
                name = names.get(raw.alias)
                if name is None:
                    violation(f"{device}: alias {raw.alias} not in its birth")
                    continue
                value_event(device, name, raw, False)

    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    subscribed = threading.Event()
    client = mqtt.Client(client_id=f"host-{os.getpid()}", clean_session=True)
    client.on_message = on_message
    client.on_subscribe = lambda *_: subscribed.set()
    client.connect(a.host, a.port)
    client.loop_start()
    client.subscribe(f"{base}/#", qos=1)
    if not subscribed.wait(60):
        sys.exit("no SUBACK")
    with lock:
        emit(event="subscribed")
        ask_rebirth(client, "host online")
    while not stopping.wait(0.2):
        if a.ask_file and os.path.exists(a.ask_file):
            os.remove(a.ask_file)
            with lock:
                ask_rebirth(client, "asked by the test")
    client.disconnect()
    client.loop_stop()
    out.close()


if __name__ == "__main__":
    main()
