// The `query` parameter of StackRox's generate and simulate endpoints, in the subset that scopes
// generation: `Namespace:a,b+Deployment:x,y` — fields joined by `+` (or a space: an unencoded
// `+` in a URL), values by `,`. Field names are
// case-insensitive; `Cluster:` is accepted and ignored (the cluster is in the path). Values may be
// quoted ("a"); other fields are an error, so a typo never widens the scope silently.
//
//   auto scope = parseScopeQuery("Namespace:shop+Deployment:web");
//   scope->namespaces == {"shop"}, scope->workloads == {"web"}
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace netpolgen::server {

struct Scope {
    std::vector<std::string> namespaces;  // generate's --namespace
    std::vector<std::string> workloads;   // generate's --deployment: NAME or NS/NAME
};

// Errors: "query: unknown field "Label" (Namespace, Deployment)", an empty value.
core::Result<Scope> parseScopeQuery(std::string_view query);

}  // namespace netpolgen::server
