#!/usr/bin/env python3
"""Which pages one group commit writes to the message store's write-ahead log, by B-tree.

The server's commits write 6-9 times the bytes they store (bench `fanout --rate`, `store`). This
script makes commits like the server's on the store's own schema (read from
src/OpenChat.Engine/Storage/MessageStoreSchema.cs), keeps the log from being
checkpointed, then reads the log's frame headers and names the B-tree each frame's page belongs to
(SQLite's dbstat table: Debian's Python has it, the bundled e_sqlite3 does not). Only the
schema is read from the C# source; the insert and update are written here as the store's.

    python3 bench/sqlite-commit-pages.py [--batch 50] [--size 128] [--commits 300] [--rooms 1] [--version N]

--rooms spreads each commit's publishes over that many rooms, one after another; --version stops
the schema at that step (default: the current layout), to compare a layout with its successor.

Only the standard library; files go to a folder of its own under the temp directory.
"""
import argparse
import collections
import os
import shutil
import sqlite3
import struct
import tempfile
import time

from message_store_schema import schema_steps


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--commits", type=int, default=300)
    parser.add_argument("--rooms", type=int, default=1)
    parser.add_argument("--version", type=int, default=0)
    args = parser.parse_args()
    if args.batch < 1 or args.commits < 1 or args.rooms < 1:
        raise SystemExit("--batch, --commits and --rooms must be at least 1")
    steps = schema_steps()
    if args.version:
        if not 1 <= args.version <= len(steps):
            raise SystemExit(f"--version must be between 1 and {len(steps)}")
        steps = steps[:args.version]

    folder = tempfile.mkdtemp(prefix="openchat-bench-pages-")
    try:
        path = os.path.join(folder, "messages.db")
        db = sqlite3.connect(path, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA wal_autocheckpoint=0")
        for step in steps:
            db.executescript(step)
        rooms = ["bench-room"] if args.rooms == 1 else [f"bench-room-{r:04}" for r in range(args.rooms)]
        db.executemany("INSERT INTO rooms(name, kind, created_at) VALUES (?, 0, 0)", [(r,) for r in rooms])
        sequences = [0] * len(rooms)
        published = 0

        def commit():
            nonlocal published
            rows = []
            touched = {}
            for _ in range(args.batch):
                index = published % len(rooms)
                published += 1
                sequences[index] += 1
                touched[rooms[index]] = sequences[index]
                # A version-7 GUID as the server stores it: 48 bits of milliseconds, then random.
                message_id = (time.time_ns() // 1_000_000).to_bytes(6, "big") + os.urandom(10)
                rows.append((rooms[index], sequences[index], message_id, "publisher-0", "0123456789ABCDEF0123456789ABCDEF",
                             1, 0, time.time_ns() // 1_000_000, os.urandom(args.size)))
            db.execute("BEGIN")
            db.executemany("INSERT INTO messages(room, seq, message_id, sender, sender_serial, kind, epoch, time, body) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(room, message_id) DO NOTHING", rows)
            db.executemany("UPDATE rooms SET last_seq = ? WHERE name = ?", [(last, room) for room, last in touched.items()])
            db.execute("COMMIT")

        # A store that already holds messages (three times the measured commits, unmeasured),
        # so the trees have their steady shape.
        for _ in range(args.commits * 3):
            commit()
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        for _ in range(args.commits):
            commit()

        with open(path + "-wal", "rb") as wal:
            log = wal.read()
        page_size = struct.unpack(">I", log[8:12])[0]
        commits, frames, offset = [], [], 32
        while offset + 24 + page_size <= len(log):
            page, size_after_commit = struct.unpack(">II", log[offset:offset + 8])
            frames.append(page)
            if size_after_commit:
                commits.append(frames)
                frames = []
            offset += 24 + page_size
        owner = {page: name for name, page in db.execute("SELECT name, pageno FROM dbstat")}
        totals = collections.Counter()
        for pages in commits:
            totals.update(owner.get(p, "?") for p in pages)
        # The columns' logical sizes (integers counted as 8 bytes; SQLite stores some in fewer,
        # and adds record and cell headers and the id index's entries): a rough figure.
        stored = args.batch * (args.size + 16 + 8 + len("bench-room") + len("publisher-0") + 32 + 3 * 8)
        print(f"schema version {len(steps)}, {len(commits)} commits of {args.batch} publishes over {len(rooms)} room(s) ({args.size}-byte bodies, roughly {stored / 1024:.1f} KiB of column data each), "
              f"page size {page_size}")
        print(f"pages written per commit: {sum(map(len, commits)) / len(commits):.1f} "
              f"({sum(map(len, commits)) * (page_size + 24) / len(commits) / 1024:.1f} KiB of log)")
        for name, count in totals.most_common():
            print(f"  {name:<20} {count / len(commits):5.1f}")
        db.close()
    finally:
        if os.path.basename(folder).startswith("openchat-bench-pages-"):
            shutil.rmtree(folder)


if __name__ == "__main__":
    main()
