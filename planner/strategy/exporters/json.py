"""JSON: the roll-up itself (open data and backups): stable key order, ISO dates, byte-identical."""

from typing import BinaryIO

from planner.strategy.rollup import Rollup, rollup_to_json


def export(rollup: Rollup, output: BinaryIO) -> None:
    output.write(rollup_to_json(rollup).encode("utf-8"))
