#include "io/flow_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

namespace netpolgen::io {
namespace {

constexpr size_t kUnknownSize = std::numeric_limits<size_t>::max();
// Compressed input is read in pieces of this size; the output goes straight to the caller.
constexpr size_t kCompressedInputBytes = 256u << 10;
constexpr size_t kMagicBytes = 4;
constexpr std::array<unsigned char, 2> kGzipMagic = {0x1f, 0x8b};
constexpr std::array<unsigned char, 4> kZstdMagic = {0x28, 0xb5, 0x2f, 0xfd};

class FdSource final : public ByteSource {
public:
    FdSource(int fd, bool owned, std::string_view name, size_t size_hint)
        : fd_(fd), owned_(owned), name_(name), remaining_hint_(size_hint) {}
    FdSource(const FdSource&) = delete;
    FdSource& operator=(const FdSource&) = delete;
    ~FdSource() override {
        if (owned_) {
            ::close(fd_);
        }
    }

    core::Result<size_t> read(char* out, size_t size) override {
        while (true) {
            const ssize_t n = ::read(fd_, out, size);
            if (n >= 0) {
                const auto got = static_cast<size_t>(n);
                if (remaining_hint_ != kUnknownSize) {
                    remaining_hint_ -= std::min(remaining_hint_, got);
                }
                return got;
            }
            if (errno != EINTR) {
                return core::Error{"cannot read " + name_ + ": " + std::strerror(errno)};
            }
        }
    }

    size_t sizeHint() const override { return remaining_hint_; }

private:
    int fd_;
    bool owned_;
    std::string name_;
    size_t remaining_hint_;
};

class MemorySource final : public ByteSource {
public:
    explicit MemorySource(std::string_view data) : data_(data) {}

    core::Result<size_t> read(char* out, size_t size) override {
        const size_t n = std::min(size, data_.size() - pos_);
        if (n > 0) {
            std::memcpy(out, data_.data() + pos_, n);
        }
        pos_ += n;
        return n;
    }

    size_t sizeHint() const override { return data_.size() - pos_; }

private:
    std::string_view data_;
    size_t pos_ = 0;
};

// Shows every block read from the inner source to an observer (ingest hashes the raw input).
class ObservedSource final : public ByteSource {
public:
    ObservedSource(std::unique_ptr<ByteSource> inner, RawBytesObserver observer)
        : inner_(std::move(inner)), observer_(std::move(observer)) {}

    core::Result<size_t> read(char* out, size_t size) override {
        auto n = inner_->read(out, size);
        if (n && *n > 0) {
            observer_(std::string_view(out, *n));
        }
        return n;
    }

    size_t sizeHint() const override { return inner_->sizeHint(); }

private:
    std::unique_ptr<ByteSource> inner_;
    RawBytesObserver observer_;
};

std::unique_ptr<ByteSource> observed(std::unique_ptr<ByteSource> raw,
                                     const RawBytesObserver& observer) {
    if (!observer) {
        return raw;
    }
    return std::make_unique<ObservedSource>(std::move(raw), observer);
}

// Gives back the bytes already read to detect the format, then the rest of the inner source.
class PrefixSource final : public ByteSource {
public:
    PrefixSource(std::unique_ptr<ByteSource> inner,
                 std::array<char, kMagicBytes> prefix,
                 size_t prefix_size)
        : inner_(std::move(inner)), prefix_(prefix), prefix_size_(prefix_size) {}

    core::Result<size_t> read(char* out, size_t size) override {
        if (prefix_pos_ < prefix_size_) {
            const size_t n = std::min(size, prefix_size_ - prefix_pos_);
            std::memcpy(out, prefix_.data() + prefix_pos_, n);
            prefix_pos_ += n;
            return n;
        }
        return inner_->read(out, size);
    }

    size_t sizeHint() const override {
        const size_t inner = inner_->sizeHint();
        if (inner == kUnknownSize) {
            return kUnknownSize;
        }
        return inner + (prefix_size_ - prefix_pos_);
    }

private:
    std::unique_ptr<ByteSource> inner_;
    std::array<char, kMagicBytes> prefix_;
    size_t prefix_size_;
    size_t prefix_pos_ = 0;
};

class GzipSource final : public ByteSource {
public:
    GzipSource(std::unique_ptr<ByteSource> inner, std::string_view name)
        : inner_(std::move(inner)), name_(name), input_(kCompressedInputBytes) {}
    GzipSource(const GzipSource&) = delete;
    GzipSource& operator=(const GzipSource&) = delete;
    ~GzipSource() override {
        if (initialized_) {
            inflateEnd(&stream_);
        }
    }

    core::Status init() {
        stream_ = z_stream{};
        // 16 + MAX_WBITS: a gzip header and trailer, not zlib or raw deflate.
        if (inflateInit2(&stream_, 16 + MAX_WBITS) != Z_OK) {
            return core::Error{name_ + ": cannot initialise gzip decompression"};
        }
        initialized_ = true;
        return {};
    }

    core::Result<size_t> read(char* out, size_t size) override {
        // zlib counts in uInt: never ask for more than it can express.
        const auto want =
            static_cast<uInt>(std::min<size_t>(size, std::numeric_limits<uInt>::max()));
        stream_.next_out = reinterpret_cast<Bytef*>(out);
        stream_.avail_out = want;
        while (stream_.avail_out == want) {
            if (stream_.avail_in == 0 && !input_done_) {
                auto n = inner_->read(input_.data(), input_.size());
                if (!n) {
                    return core::Error{n.error()};
                }
                stream_.next_in = reinterpret_cast<Bytef*>(input_.data());
                stream_.avail_in = static_cast<uInt>(*n);
                input_done_ = *n == 0;
            }
            if (stream_.avail_in == 0 && input_done_) {
                if (!member_done_) {
                    return core::Error{name_ + ": truncated gzip stream (unexpected end of file)"};
                }
                break;
            }
            if (member_done_) {
                // Another member follows (concatenated .gz files, pigz, bgzip).
                if (inflateReset(&stream_) != Z_OK) {
                    return core::Error{name_ + ": corrupt gzip stream"};
                }
                member_done_ = false;
            }
            const int rc = inflate(&stream_, Z_NO_FLUSH);
            if (rc == Z_STREAM_END) {
                member_done_ = true;
            } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
                std::string why =
                    stream_.msg != nullptr ? stream_.msg : "error " + std::to_string(rc);
                return core::Error{name_ + ": corrupt gzip stream (" + why + ")"};
            }
        }
        return static_cast<size_t>(want - stream_.avail_out);
    }

    size_t sizeHint() const override { return kUnknownSize; }

private:
    std::unique_ptr<ByteSource> inner_;
    std::string name_;
    std::vector<char> input_;
    z_stream stream_{};
    bool initialized_ = false;
    bool input_done_ = false;
    bool member_done_ = false;
};

class ZstdSource final : public ByteSource {
public:
    ZstdSource(std::unique_ptr<ByteSource> inner, std::string_view name)
        : inner_(std::move(inner)), name_(name), input_(kCompressedInputBytes) {}
    ZstdSource(const ZstdSource&) = delete;
    ZstdSource& operator=(const ZstdSource&) = delete;
    ~ZstdSource() override { ZSTD_freeDCtx(context_); }

    core::Status init() {
        context_ = ZSTD_createDCtx();
        if (context_ == nullptr) {
            return core::Error{name_ + ": cannot initialise zstd decompression"};
        }
        return {};
    }

    core::Result<size_t> read(char* out, size_t size) override {
        ZSTD_outBuffer output{out, size, 0};
        while (output.pos == 0) {
            if (in_.pos == in_.size && !input_done_) {
                auto n = inner_->read(input_.data(), input_.size());
                if (!n) {
                    return core::Error{n.error()};
                }
                in_ = ZSTD_inBuffer{input_.data(), *n, 0};
                input_done_ = *n == 0;
            }
            const bool starved = in_.pos == in_.size && input_done_;
            if (starved && frame_done_) {
                break;
            }
            const size_t rc = ZSTD_decompressStream(context_, &output, &in_);
            if (ZSTD_isError(rc) != 0) {
                return core::Error{name_ + ": corrupt zstd stream (" + ZSTD_getErrorName(rc) + ")"};
            }
            // 0: a frame is complete and flushed; anything else: more input or output to come.
            frame_done_ = rc == 0;
            if (starved && output.pos == 0 && !frame_done_) {
                return core::Error{name_ + ": truncated zstd stream (unexpected end of file)"};
            }
        }
        return output.pos;
    }

    size_t sizeHint() const override { return kUnknownSize; }

private:
    std::unique_ptr<ByteSource> inner_;
    std::string name_;
    std::vector<char> input_;
    ZSTD_DCtx* context_ = nullptr;
    ZSTD_inBuffer in_{nullptr, 0, 0};
    bool input_done_ = false;
    bool frame_done_ = true;  // an empty input is an empty stream
};

bool startsWith(const std::array<char, kMagicBytes>& head, size_t n, const auto& magic) {
    if (n < magic.size()) {
        return false;
    }
    for (size_t i = 0; i < magic.size(); ++i) {
        if (static_cast<unsigned char>(head[i]) != magic[i]) {
            return false;
        }
    }
    return true;
}

// Reads the first bytes of `raw` and puts a decompressor in front of it when they are a magic.
core::Result<std::unique_ptr<ByteSource>> detectCompression(std::unique_ptr<ByteSource> raw,
                                                            std::string_view name) {
    std::array<char, kMagicBytes> head{};
    size_t n = 0;
    while (n < head.size()) {
        auto got = raw->read(head.data() + n, head.size() - n);
        if (!got) {
            return core::Error{got.error()};
        }
        if (*got == 0) {
            break;
        }
        n += *got;
    }
    auto prefixed = std::make_unique<PrefixSource>(std::move(raw), head, n);
    if (startsWith(head, n, kGzipMagic)) {
        auto gz = std::make_unique<GzipSource>(std::move(prefixed), name);
        if (auto st = gz->init(); !st) {
            return core::Error{st.error()};
        }
        return std::unique_ptr<ByteSource>(std::move(gz));
    }
    if (startsWith(head, n, kZstdMagic)) {
        auto zst = std::make_unique<ZstdSource>(std::move(prefixed), name);
        if (auto st = zst->init(); !st) {
            return core::Error{st.error()};
        }
        return std::unique_ptr<ByteSource>(std::move(zst));
    }
    return std::unique_ptr<ByteSource>(std::move(prefixed));
}

}  // namespace

core::Result<std::unique_ptr<ByteSource>> openFlowFile(const std::string& path,
                                                       std::string_view name,
                                                       const RawBytesObserver& observer) {
    int fd = STDIN_FILENO;
    bool owned = false;
    if (path != "-") {
        fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            return core::Error{"cannot open " + path + ": " + std::strerror(errno)};
        }
        owned = true;
    }
    size_t hint = kUnknownSize;
    struct stat st {};
    if (::fstat(fd, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            if (owned) {
                ::close(fd);
            }
            return core::Error{"cannot open " + path + ": " + std::strerror(EISDIR)};
        }
        if (S_ISREG(st.st_mode)) {
            const off_t offset = ::lseek(fd, 0, SEEK_CUR);
            if (offset >= 0 && offset <= st.st_size) {
                hint = static_cast<size_t>(st.st_size - offset);
            }
        }
    }
    return detectCompression(observed(std::make_unique<FdSource>(fd, owned, name, hint), observer),
                             name);
}

core::Result<std::unique_ptr<ByteSource>> openFlowBuffer(std::string_view data,
                                                         std::string_view name,
                                                         const RawBytesObserver& observer) {
    return detectCompression(observed(std::make_unique<MemorySource>(data), observer), name);
}

}  // namespace netpolgen::io
