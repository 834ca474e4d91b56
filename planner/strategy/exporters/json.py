"""JSON: the open-data form of the paper, the roll-up itself (not an outline): stable key order, ISO dates,
byte-identical for the same data. Its schema is documented in docs/paper-json.md."""

from typing import BinaryIO

from planner.strategy.rollup import Rollup, rollup_to_json


def export(rollup: Rollup, output: BinaryIO) -> None:
    output.write(rollup_to_json(rollup).encode("utf-8"))
