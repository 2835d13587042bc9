#include "cli/sha256.h"

#include <openssl/evp.h>

#include <array>

namespace netpolgen::cli {

void Sha256::Free::operator()(evp_md_ctx_st* ctx) const {
    EVP_MD_CTX_free(ctx);
}

core::Result<Sha256> Sha256::create() {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    if (ctx == nullptr) {
        return core::Error{"cannot create a SHA-256 context (out of memory)"};
    }
    Sha256 hash(ctx);
    if (EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) != 1) {
        return core::Error{"cannot initialise SHA-256 (OpenSSL)"};
    }
    return hash;
}

void Sha256::update(std::string_view bytes) {
    // EVP_DigestUpdate fails only on a context that was never initialised, which create() rules
    // out.
    EVP_DigestUpdate(ctx_.get(), bytes.data(), bytes.size());
}

std::string Sha256::hexDigest() {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int size = 0;
    EVP_DigestFinal_ex(ctx_.get(), digest.data(), &size);
    constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(size * 2);
    for (unsigned int i = 0; i < size; ++i) {
        out += kHex[digest[i] >> 4];
        out += kHex[digest[i] & 0xf];
    }
    return out;
}

}  // namespace netpolgen::cli
