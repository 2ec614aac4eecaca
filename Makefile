# Yibiao: `make demo` starts the gateway with a demo county; `make test` runs every test.
# Both install missing Debian packages first (scripts/setup.sh, as root) and build with CMake.
BUILD      ?= build
ASAN_BUILD ?= build-asan
DEMO_DB    ?= var/demo.db
LISTEN     ?= 127.0.0.1:8080
JOBS       ?= 2

.PHONY: demo test test-sanitize build setup setup-test bench clean format

demo: setup build
	@echo "Starting Yibiao with the demo county at http://$(LISTEN)/  (Ctrl-C stops it)"
	@scripts/demo.sh $(BUILD) $(DEMO_DB) $(LISTEN)

test: setup-test build
	ctest --test-dir $(BUILD) --output-on-failure -j$(JOBS)

# The same tests under AddressSanitizer and UndefinedBehaviorSanitizer (CI runs it too).
test-sanitize: setup-test
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DYIBIAO_SANITIZE=ON >/dev/null
	cmake --build $(ASAN_BUILD) -j$(JOBS)
	ctest --test-dir $(ASAN_BUILD) --output-on-failure -j$(JOBS) -LE bench

build:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build $(BUILD) -j$(JOBS)

bench: setup-test build
	$(BUILD)/bench/ingest
	$(BUILD)/bench/delivery --mock $(BUILD)/tools/mock_upstream/mock-upstream

setup:
	@scripts/setup.sh build

setup-test:
	@scripts/setup.sh test

format:
	clang-format -i $$(git ls-files '*.cc' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
