"""The message store's schema steps as the server runs them, read from
src/OpenChat.Engine/Storage/MessageStoreSchema.cs (each step is one raw string literal there), for
the bench scripts that build messages.db files of their own."""
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA = os.path.join(HERE, "..", "src", "OpenChat.Engine", "Storage", "MessageStoreSchema.cs")


def schema_steps():
    """Step v takes a file from version v to v + 1, as SQL text."""
    text = open(SCHEMA, encoding="utf-8").read()
    steps = re.findall(r'"""\r?\n(.*?)"""', text, re.S)
    if not steps or "CREATE TABLE" not in steps[0]:
        raise SystemExit(f"no schema steps found in {SCHEMA}")
    return steps
