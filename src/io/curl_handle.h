// libcurl handles as owning values, and the one-time global initialisation, for the two libcurl
// users (notify: notifiers; kube: the Kubernetes API client). Header-only: the io library itself
// does not link libcurl; its users do.
#pragma once

#include <curl/curl.h>

#include <memory>
#include <string>

namespace netpolgen::io {

// curl_global_init is not thread-safe and must run once before any handle exists. A function-local
// static (inline: one per program) runs it exactly once, thread-safely, on first use, without a
// global object whose construction order would matter. It is never cleaned up: the OS frees it at
// exit, and another user of libcurl in the process may still need it.
inline void ensureCurlInitialized() {
    static const CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
    (void)rc;  // a failure shows again as curl_easy_init returning null
}

struct CurlDeleter {
    void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
    void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using CurlHandle = std::unique_ptr<CURL, CurlDeleter>;
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

// Appends one item (a header line, a recipient) to an owned list.
inline void append(Slist& list, const std::string& item) {
    curl_slist* l = curl_slist_append(list.get(), item.c_str());
    if (l != nullptr) {
        (void)list.release();
        list.reset(l);
    }
}

}  // namespace netpolgen::io
