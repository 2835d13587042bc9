# netpolgen in a container, for deploy/ (kubectl apply -k deploy/):
#   docker build -t netpolgen:0.1.0 .
# Stage 1 builds the release binary and the portal with Debian 12's packages (the versions of
# scripts/install-deps.sh); stage 2 holds the binary, the portal and the shared libraries it links.
FROM debian:12 AS build
RUN apt-get update && apt-get install -y --no-install-recommends \
        build-essential cmake ninja-build pkg-config ca-certificates \
        libyaml-dev nlohmann-json3-dev libsimdjson-dev libcli11-dev libfmt-dev zlib1g-dev \
        libzstd-dev libsqlite3-dev libpq-dev libssl-dev libcurl4-openssl-dev \
        libcpp-httplib-dev libboost1.81-dev nodejs npm \
        libprotobuf-dev protobuf-compiler libgrpc++-dev protobuf-compiler-grpc librdkafka-dev \
        clang llvm bpftool libbpf-dev libnetfilter-conntrack-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN bash scripts/build-web.sh \
    && cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr \
        -DNETPOLGEN_TESTS=OFF -DNETPOLGEN_BENCH=OFF \
    && cmake --build /build \
    && DESTDIR=/out cmake --install /build

FROM debian:12-slim
RUN apt-get update && apt-get install -y --no-install-recommends \
        libyaml-0-2 libsimdjson14 libfmt9 zlib1g libzstd1 libsqlite3-0 libpq5 libssl3 libcurl4 \
        libprotobuf32 libgrpc++1.51 librdkafka1 libbpf1 libnetfilter-conntrack3 \
        ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/usr /usr
# Not root (deploy/base/deployment.yaml runs it as 65532 with a read-only root filesystem; the
# agent's DaemonSet, deploy/agent/, runs it as uid 0 with the capabilities it names).
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/usr/bin/netpolgen"]
CMD ["serve", "--in-cluster", "--db=/data/netpolgen.db", "--listen=0.0.0.0:8080", "--token-file=/etc/netpolgen/tokens"]
