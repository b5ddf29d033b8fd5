# zcbench: two entry points, each provisioning what it needs (idempotent, fast when done).
#   make check  - build, fetch the 6.1 kernel, run `zcbench check` and print its results
#   make test   - build, fetch both kernels, run the unit and VM tests
#   make bench  - measure time to verdict, per-page cost and scale; write bench/RESULTS.md
#   make fuzz   - fuzz /dev/zcpool for FUZZ_SECONDS per variant on both kernels
SWIFT   ?= swift
ZCBENCH := .build/debug/zcbench
SERIES  ?= 6.1

.PHONY: check test bench fuzz provision build kernels unit-test clean

check: build
	$(ZCBENCH) kernel fetch --series $(SERIES)
	$(ZCBENCH) check --series $(SERIES)

test: build
	$(ZCBENCH) kernel fetch --series 6.1
	$(ZCBENCH) kernel fetch --series 6.12
	scripts/kcidb-validate --install
	ZCBENCH_VM_TESTS=1 $(SWIFT) test

bench: build
	$(ZCBENCH) kernel fetch --series $(SERIES)
	$(ZCBENCH) bench --series $(SERIES) --markdown bench/RESULTS.md --json bench/results.json

FUZZ_SECONDS ?= 120
fuzz: build
	$(ZCBENCH) kernel fetch --series 6.1
	$(ZCBENCH) kernel fetch --series 6.12
	$(ZCBENCH) fuzz --series all --seconds $(FUZZ_SECONDS)

# Unit tests only: no QEMU, no kernel.
unit-test: build
	$(SWIFT) test --skip ZCVMTests

provision:
	scripts/provision.sh

build: provision
	$(SWIFT) build

clean:
	rm -rf out .build
