"""Write a seeded synthetic Telegram Desktop export (see qunyun/samples.py).

    .venv/bin/python bench/gen_telegram.py --messages 200000 --senders 2000 --days 365 --out F
"""

from __future__ import annotations

import argparse
from pathlib import Path

from qunyun.samples import write_telegram_export


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--messages", type=int, default=200_000)
    ap.add_argument("--senders", type=int, default=2_000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    write_telegram_export(args.out, messages=args.messages, senders=args.senders, days=args.days,
                          seed=args.seed)


if __name__ == "__main__":
    main()
