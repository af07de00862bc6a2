"""Write the seed corpus (valid messages of every use case, from the spec tables) and the
libFuzzer dictionary of GBCS tokens (certificates for fuzz_cert.py in corpus-cert/). Nothing comes from the DCC RTDS or ../shared.

    python fuzz/make_corpus.py [--per-use-case N] [--seed S] [--out fuzz]
"""
from __future__ import annotations

import argparse
from pathlib import Path

from gbcs.testing.corpus import write_corpus, write_dictionary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-use-case", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent))
    args = parser.parse_args()
    out = Path(args.out)
    count = write_corpus(out / "corpus", args.per_use_case, seed=args.seed)
    certs = write_corpus(out / "corpus-cert", args.per_use_case, seed=args.seed, target="cert")
    tokens = write_dictionary(out / "gbcs.dict")
    print(f"wrote {count} seed messages to {out / 'corpus'}, {certs} certificates to {out / 'corpus-cert'} "
          f"and {tokens} tokens to {out / 'gbcs.dict'}")


if __name__ == "__main__":
    main()
