// Compressing test input in memory: a gzip member and a zstd frame, as gzip(1) and zstd(1) write
// them.
#pragma once

#include <gtest/gtest.h>
#include <zlib.h>
#include <zstd.h>

#include <string>
#include <string_view>

namespace netpolgen::testing_support {

// `level`: zlib's (1 fast … 9 small).
inline std::string gzipMember(std::string_view text, int level = Z_DEFAULT_COMPRESSION) {
    z_stream z{};
    EXPECT_EQ(deflateInit2(&z, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
    std::string out(deflateBound(&z, text.size()) + 64, '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
    z.avail_in = static_cast<uInt>(text.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
    out.resize(z.total_out);
    deflateEnd(&z);
    return out;
}

inline std::string zstdFrame(std::string_view text, int level = 3) {
    std::string out(ZSTD_compressBound(text.size()), '\0');
    const size_t n = ZSTD_compress(out.data(), out.size(), text.data(), text.size(), level);
    EXPECT_EQ(ZSTD_isError(n), 0u);
    out.resize(n);
    return out;
}

}  // namespace netpolgen::testing_support
