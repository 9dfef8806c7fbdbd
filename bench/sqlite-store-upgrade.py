#!/usr/bin/env python3
"""How long the message store's schema steps take on a full file: builds messages.db at the
version before the last (from src/OpenChat.Engine/Storage/MessageStoreSchema.cs), fills it with
messages spread over rooms, then times the last step, as a server does once when it first
starts on the new version (after it has copied the file aside).

    python3 bench/sqlite-store-upgrade.py [--messages 1000000] [--rooms 100] [--size 128]

Only the standard library; files go to a folder of its own under the temp directory.
"""
import argparse
import os
import shutil
import sqlite3
import tempfile
import time

from message_store_schema import SCHEMA, schema_steps


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--rooms", type=int, default=100)
    parser.add_argument("--size", type=int, default=128)
    args = parser.parse_args()
    if args.messages < 1 or args.rooms < 1:
        raise SystemExit("--messages and --rooms must be at least 1")
    steps = schema_steps()
    if len(steps) < 2:
        raise SystemExit(f"fewer than two schema steps in {SCHEMA}")

    folder = tempfile.mkdtemp(prefix="openchat-bench-upgrade-")
    try:
        path = os.path.join(folder, "messages.db")
        db = sqlite3.connect(path, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        # As the server's SQLite (e_sqlite3) is built; Debian's and pyenv's Python are built with
        # SECURE_DELETE, which zeroes every dropped page through the log and doubles its peak.
        db.execute("PRAGMA secure_delete=OFF")
        for step in steps[:-1]:
            db.executescript(step)
        rooms = [f"room-{r:04}" for r in range(args.rooms)]
        db.executemany("INSERT INTO rooms(name, kind, created_at) VALUES (?, 0, 0)", [(r,) for r in rooms])
        body = os.urandom(args.size)
        millis = time.time_ns() // 1_000_000 - args.messages
        db.execute("BEGIN")
        db.executemany("INSERT INTO messages(room, seq, message_id, sender, sender_serial, kind, epoch, time, body) VALUES (?, ?, ?, ?, ?, 1, 0, ?, ?)",
                       ((rooms[i % args.rooms], i // args.rooms + 1, (millis + i).to_bytes(6, "big") + os.urandom(10),
                         "publisher-0", "0123456789ABCDEF0123456789ABCDEF", millis + i, body) for i in range(args.messages)))
        db.execute("COMMIT")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        before = os.path.getsize(path)
        started = time.perf_counter()
        db.executescript("BEGIN;" + steps[-1] + f"\nPRAGMA user_version={len(steps)};COMMIT;")
        took = time.perf_counter() - started
        # The step's transaction goes through the write-ahead log whole before the checkpoint
        # copies it into the file: the disk space it needs at its peak.
        log = os.path.getsize(path + "-wal")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        free = db.execute("PRAGMA freelist_count").fetchone()[0] * db.execute("PRAGMA page_size").fetchone()[0]
        print(f"{args.messages:,} messages in {args.rooms} rooms ({before / 2**20:.0f} MiB): step {len(steps) - 1} -> {len(steps)} took {took:.1f} s; "
              f"write-ahead log at its peak {log / 2**20:.0f} MiB; file {os.path.getsize(path) / 2**20:.0f} MiB after it, {free / 2**20:.0f} MiB of it free pages for new messages")
        db.close()
    finally:
        if os.path.basename(folder).startswith("openchat-bench-upgrade-"):
            shutil.rmtree(folder)


if __name__ == "__main__":
    main()
