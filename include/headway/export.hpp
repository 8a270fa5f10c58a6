#pragma once

// Marks what libheadway exports: the classes and functions of include/headway.
// The library is built with hidden visibility, so everything else in it (the
// Redis client, the record format, the flusher) stays internal and can change
// without breaking programs linked against it.
#define HEADWAY_API __attribute__((visibility("default")))
