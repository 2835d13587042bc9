// Result<T>: a value or an error message, the project's one error type.
//
// Errors are values in this code base (std::expected is C++23 and missing from clang 14 + libstdc++
// 12). The message is meant for a user: adapters prefix it with the file and line they know.
//
//   Result<Cidr> c = Cidr::parse("10.0.0.0/8");
//   if (!c) return Error{c.error()};
//   use(*c);
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace netpolgen::core {

struct Error {
    std::string message;
};

template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
    Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }
    T& operator*() { return std::get<0>(v_); }
    const T& operator*() const { return std::get<0>(v_); }
    T* operator->() { return &std::get<0>(v_); }
    const T* operator->() const { return &std::get<0>(v_); }
    const std::string& error() const { return std::get<1>(v_).message; }

private:
    std::variant<T, Error> v_;
};

// Result<void>: success or an error.
class [[nodiscard]] Status {
public:
    Status() = default;
    Status(Error error)
        : error_(std::move(error.message)) {}  // NOLINT(google-explicit-constructor)
    bool ok() const { return !error_.has_value(); }
    explicit operator bool() const { return ok(); }
    const std::string& error() const { return *error_; }

private:
    std::optional<std::string> error_;
};

}  // namespace netpolgen::core
