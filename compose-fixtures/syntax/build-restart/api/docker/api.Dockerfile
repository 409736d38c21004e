FROM verifier-fixture-base:bookworm
