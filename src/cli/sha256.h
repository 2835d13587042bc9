// SHA-256 of a byte stream, fed in pieces (OpenSSL EVP): the identity of an ingested input.
//
//   auto hash = Sha256::create();
//   if (!hash) return Error{hash.error()};
//   hash->update(block);  …
//   std::string hex = hash->hexDigest();   // 64 lowercase hex digits; ends the stream
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"

struct evp_md_ctx_st;

namespace netpolgen::cli {

class Sha256 {
public:
    static core::Result<Sha256> create();

    void update(std::string_view bytes);
    // The digest of everything fed so far. Call once: the hash is finished afterwards.
    std::string hexDigest();

private:
    struct Free {
        void operator()(evp_md_ctx_st* ctx) const;
    };
    explicit Sha256(evp_md_ctx_st* ctx) : ctx_(ctx) {}

    std::unique_ptr<evp_md_ctx_st, Free> ctx_;
};

}  // namespace netpolgen::cli
