"""Hourly: roll up the last hour of events into metrics."""
import datachain as dc

(
    dc.read_dataset("events")
    .filter(dc.C("ts") > dc.func.now() - 3600)
    .group_by(count=dc.func.count(), partition_by="event")
    .save("hourly-metrics")
)
