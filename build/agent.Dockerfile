# The node agent image: nothing but the plugin's static binary, which `show --via node` runs as
# `kubectl-caps agent read` in a pod on each node. The release builds it for linux/amd64 and
# linux/arm64 with goreleaser (dockers_v2 in .goreleaser.yaml puts each platform's binary at
# $TARGETPLATFORM/kubectl-caps); `make agent-image` writes the same image as an OCI archive
# without Docker (test/tools/ociimage).
FROM scratch
ARG TARGETPLATFORM
COPY $TARGETPLATFORM/kubectl-caps /kubectl-caps
ENTRYPOINT ["/kubectl-caps"]
