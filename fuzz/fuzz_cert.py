"""atheris (libFuzzer) harness: gbcs.testing.targets.check_cert — see fuzz/README.md.

    python fuzz/make_corpus.py                  # once: fuzz/corpus/ and fuzz/gbcs.dict from specs/
    python fuzz/fuzz_cert.py -dict=fuzz/gbcs.dict -max_total_time=60 fuzz/corpus-cert
"""
from harness import run

if __name__ == "__main__":
    run("cert")
