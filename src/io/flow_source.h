// ByteSource: the bytes of a flow file, plain or decompressed, read in pieces (private to
// flow_reader.cpp).
//
// openFlowSource() opens a path ("-" = standard input) or wraps bytes in memory, and detects gzip
// (1f 8b; concatenated members are read one after the other) and zstd (28 b5 2f fd; several frames
// too) from the magic bytes. Decompression streams: memory is a few fixed buffers whatever the size
// of the file.
//
//   auto src = openFlowFile("flows.jsonl.gz");
//   if (!src) { return core::Error{src.error()}; }            // "cannot open flows.jsonl.gz: …"
//   auto n = (*src)->read(buffer, size);                        // 0 = end of input
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"

namespace netpolgen::io {

class ByteSource {
public:
    virtual ~ByteSource() = default;
    // Reads at most `size` (> 0) bytes into `out`. Returns how many were read; 0 only at the end
    // of the input. An error names the input ("NAME: corrupt gzip stream (…)").
    virtual core::Result<size_t> read(char* out, size_t size) = 0;
    // The number of (decompressed) bytes still to come when known in advance, else SIZE_MAX.
    // Only a hint used to size buffers.
    virtual size_t sizeHint() const = 0;
};

// Sees every block of the input as read, before decompression (may be empty: nothing to see).
using RawBytesObserver = std::function<void(std::string_view)>;

// Opens `path` ("-" reads standard input); errors read "cannot open PATH: <strerror>".
// `name` is the name used in later error messages. `observer` sees every byte of the file once.
core::Result<std::unique_ptr<ByteSource>> openFlowFile(const std::string& path,
                                                       std::string_view name,
                                                       const RawBytesObserver& observer = {});

// Wraps bytes in memory. `data` must stay alive while the source is used.
core::Result<std::unique_ptr<ByteSource>> openFlowBuffer(std::string_view data,
                                                         std::string_view name,
                                                         const RawBytesObserver& observer = {});

}  // namespace netpolgen::io
