// Loading kubeconfig files the way kubectl and client-go do (docs/kubernetes-api-client.md §1):
//
//   KubeconfigRequest req;
//   req.explicit_path = "";                 // --kubeconfig FILE: that file alone
//   req.kubeconfig_env = getenv("KUBECONFIG") // else these files, merged (':'-separated)
//   req.home = getenv("HOME");              // else ~/.kube/config
//   req.context = "prod";                   // else current-context
//   auto cfg = loadKubeconfig(req);          // Result<RestConfig>
//
// Merging: the first file that defines a cluster, user or context name wins, whole entry;
// current-context from the first file that sets it. Relative paths (certificate-authority,
// client-certificate, client-key, tokenFile, and exec.command when it holds a '/') are resolved
// against the directory of the file that defined them. Validation is client-go's for the selected
// context only: a context naming a missing cluster or user, a cluster without server, a path and
// its -data both set, a certificate without a key, token together with basic auth, exec v1
// without interactiveMode, exec together with auth-provider, insecure-skip-tls-verify together
// with a CA, an auth-provider (unsupported: use exec) — each an error naming the file and line.
#pragma once

#include <string>

#include "core/result.h"
#include "kube/rest_config.h"

namespace netpolgen::kube {

struct KubeconfigRequest {
    std::string explicit_path;   // --kubeconfig; loaded alone, must exist
    std::string kubeconfig_env;  // $KUBECONFIG; missing files in it are skipped
    std::string home;            // $HOME, for ~/.kube/config
    std::string context;         // --context; empty: current-context
};

core::Result<RestConfig> loadKubeconfig(const KubeconfigRequest& request);

// The configuration of a pod's service account (docs/kubernetes-api-client.md §3): server from
// KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT (IPv6 in brackets), token file, CA and
// namespace from `account_dir` (/var/run/secrets/kubernetes.io/serviceaccount).
core::Result<RestConfig> inClusterConfig(const std::string& service_host,
                                         const std::string& service_port,
                                         const std::string& account_dir);

// Standard base64 (with or without padding, whitespace ignored), as kubeconfig *-data fields.
core::Result<std::string> decodeBase64(const std::string& text);
std::string encodeBase64(const std::string& bytes);

}  // namespace netpolgen::kube
