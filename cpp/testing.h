// qworker's C++ for tests and examples (serves src/testing/mod.rs): running the event loop
// for a while, and recording what goes through Qt's message handler.
#pragma once

#include "rust/cxx.h"

namespace qworker::testing {

// Processes events for up to `max_ms`, sleeping while there are none (tests, examples).
void process_events_for(int max_ms);

// Message capture: records every Qt message (and still forwards it) until capture_end().
void capture_begin();
void capture_end();
rust::Vec<rust::String> capture_take();

} // namespace qworker::testing
