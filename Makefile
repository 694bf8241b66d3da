# purple-teams-graph — GNU make build.
#
#   make                 build/libteams-graph.so and build/fake-graph
#   make check           build everything and run every test (prints "N passed, N failed")
#   make check SANITIZE=1  the same, built with clang AddressSanitizer + UBSan (into build-asan/)
#   make check VALGRIND=1  the same, every test under valgrind
#   make bench           the benchmarks in tests/bench (they print figures, assert nothing)
#   make demo            the plugin in Finch against the bundled Graph emulator
#   make install [DESTDIR=… PREFIX=…] / make uninstall / make install-user
#
# Sources are found by wildcard: a new src/core/*.c joins the plugin and every test, a new
# tests/unit/test-*.c becomes a test binary, and so on, so adding a module needs no edit here.

PKGS := purple glib-2.0 gio-2.0 libsoup-3.0 json-glib-1.0

# A fresh Debian 12 machine needs no step beyond `make`: install what pkg-config cannot find.
ifeq ($(filter clean,$(MAKECMDGOALS)),)
_deps := $(shell pkg-config --exists $(PKGS) 2>/dev/null || ./scripts/install-deps.sh build 1>&2)
endif

SANITIZE ?=
VALGRIND ?=
ifeq ($(SANITIZE),1)
BUILD ?= build-asan
CC := clang
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined -shared-libsan
SAN_LDFLAGS := $(SAN_FLAGS) -Wl,-rpath,$(shell dirname $$(clang -print-file-name=libclang_rt.asan-x86_64.so))
else
BUILD ?= build
SAN_FLAGS :=
SAN_LDFLAGS :=
endif

PKG_CONFIG ?= pkg-config
CORE_PKGS := glib-2.0 gio-2.0 libsoup-3.0 json-glib-1.0
CORE_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(CORE_PKGS))
CORE_LIBS := $(shell $(PKG_CONFIG) --libs $(CORE_PKGS)) -lm
PURPLE_CFLAGS := $(shell $(PKG_CONFIG) --cflags purple)
PURPLE_LIBS := $(shell $(PKG_CONFIG) --libs purple)

WARN := -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers
CFLAGS ?= -O2 -g
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE -fPIC -fvisibility=hidden $(WARN) $(CFLAGS) $(SAN_FLAGS) \
	-DGLIB_VERSION_MIN_REQUIRED=GLIB_VERSION_2_74 -Isrc -Itests
LDFLAGS ?=
# `make V=1` shows the full compiler command lines.
ifeq ($(V),1)
Q :=
else
Q = @echo "  CC $<";
endif

CORE_SRC := $(sort $(wildcard src/core/*.c))
PURPLE_SRC := $(sort $(wildcard src/purple/*.c))
FAKE_SRC := $(sort $(filter-out tests/fake-graph/main.c,$(wildcard tests/fake-graph/*.c)))
COMMON_SRC := $(sort $(wildcard tests/common/*.c))
TESTBED_SRC := $(sort $(filter-out tests/purple/test-%.c,$(wildcard tests/purple/*.c)))

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
CORE_OBJ := $(call obj,$(CORE_SRC))
PURPLE_OBJ := $(call obj,$(PURPLE_SRC))
FAKE_OBJ := $(call obj,$(FAKE_SRC))
COMMON_OBJ := $(call obj,$(COMMON_SRC))
TESTBED_OBJ := $(call obj,$(TESTBED_SRC))

PLUGIN := $(BUILD)/libteams-graph.so
FAKE_BIN := $(BUILD)/fake-graph
UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(wildcard tests/unit/test-*.c))
PURPLE_TESTS := $(patsubst tests/purple/%.c,$(BUILD)/tests/purple/%,$(wildcard tests/purple/test-*.c))
BENCHES := $(patsubst tests/bench/%.c,$(BUILD)/tests/bench/%,$(wildcard tests/bench/bench-*.c))
FUZZERS_SRC := $(wildcard tests/fuzz/fuzz-*.c)

.PHONY: all check bench demo install uninstall install-user uninstall-user clean check-deps
all: $(PLUGIN) $(FAKE_BIN)

$(BUILD)/obj/src/core/%.o: src/core/%.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) $(CORE_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) $(PURPLE_CFLAGS) $(CORE_CFLAGS) -MMD -MP -c $< -o $@

# The core must stay free of libpurple: compile it without libpurple's include path.
$(PLUGIN): $(CORE_OBJ) $(PURPLE_OBJ)
	@mkdir -p $(dir $@)
	$(CC) -shared $(SAN_LDFLAGS) $(LDFLAGS) -o $@ $^ $(PURPLE_LIBS) $(CORE_LIBS)

$(FAKE_BIN): $(BUILD)/obj/tests/fake-graph/main.o $(FAKE_OBJ) $(CORE_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(SAN_LDFLAGS) $(LDFLAGS) -o $@ $^ $(CORE_LIBS)

$(BUILD)/tests/unit/%: $(BUILD)/obj/tests/unit/%.o $(COMMON_OBJ) $(FAKE_OBJ) $(CORE_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(SAN_LDFLAGS) $(LDFLAGS) -o $@ $^ $(CORE_LIBS)

$(BUILD)/tests/bench/%: $(BUILD)/obj/tests/bench/%.o $(COMMON_OBJ) $(FAKE_OBJ) $(CORE_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(SAN_LDFLAGS) $(LDFLAGS) -o $@ $^ $(CORE_LIBS)

# Test-bed scenarios load the built plugin with dlopen, as Pidgin does; they link libpurple,
# the emulator and the harness, never the plugin's own objects.
$(BUILD)/tests/purple/%: $(BUILD)/obj/tests/purple/%.o $(TESTBED_OBJ) $(COMMON_OBJ) $(FAKE_OBJ) $(CORE_OBJ) | $(PLUGIN)
	@mkdir -p $(dir $@)
	$(CC) $(SAN_LDFLAGS) $(LDFLAGS) -o $@ $(filter %.o,$^) $(PURPLE_LIBS) $(CORE_LIBS)

check-deps:
	@./scripts/install-deps.sh check

check: check-deps all $(UNIT_TESTS) $(PURPLE_TESTS) $(BENCHES)
	@BUILD=$(BUILD) VALGRIND=$(VALGRIND) SANITIZE=$(SANITIZE) ./scripts/run-tests.sh $(UNIT_TESTS) $(PURPLE_TESTS) $(wildcard tests/clients/test-*.sh tests/clients/test-*.py)

bench: all $(BENCHES)
	@for b in $(BENCHES); do echo "== $$b"; $$b || exit 1; done

demo: check-deps all
	@BUILD=$(BUILD) ./scripts/demo.sh

# Installation, as every libpurple plugin does it.
PREFIX ?= /usr
DESTDIR ?=
PLUGINDIR ?= $(shell $(PKG_CONFIG) --variable=plugindir purple)
DATADIR ?= $(PREFIX)/share
PIXMAPDIR := $(DATADIR)/pixmaps/pidgin/protocols
ICON_SIZES := 16 22 48

install: $(PLUGIN)
	install -d "$(DESTDIR)$(PLUGINDIR)"
	install -m 0644 $(PLUGIN) "$(DESTDIR)$(PLUGINDIR)/libteams-graph.so"
	for s in $(ICON_SIZES); do \
	  install -d "$(DESTDIR)$(PIXMAPDIR)/$$s"; \
	  install -m 0644 icons/$$s/teams-graph.png "$(DESTDIR)$(PIXMAPDIR)/$$s/teams-graph.png"; \
	done
	if [ -f icons/scalable/teams-graph.svg ]; then \
	  install -d "$(DESTDIR)$(PIXMAPDIR)/scalable"; \
	  install -m 0644 icons/scalable/teams-graph.svg "$(DESTDIR)$(PIXMAPDIR)/scalable/teams-graph.svg"; \
	fi

uninstall:
	rm -f "$(DESTDIR)$(PLUGINDIR)/libteams-graph.so"
	for s in $(ICON_SIZES) scalable; do rm -f "$(DESTDIR)$(PIXMAPDIR)/$$s/teams-graph.png" "$(DESTDIR)$(PIXMAPDIR)/$$s/teams-graph.svg"; done

install-user: $(PLUGIN)
	install -d "$(HOME)/.purple/plugins"
	install -m 0644 $(PLUGIN) "$(HOME)/.purple/plugins/libteams-graph.so"

uninstall-user:
	rm -f "$(HOME)/.purple/plugins/libteams-graph.so"

clean:
	rm -rf build build-asan build-*

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
