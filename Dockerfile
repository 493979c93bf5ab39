# Cistern in a container: the release binary that scripts/release builds with the static Swift
# standard library (dist/cistern), on distroless's glibc + libstdc++ + CA certificates image.
#
#   scripts/release && docker build -t cistern .
#   docker run -p 8080:8080 -p 9000:9000 -v cistern-data:/home/nonroot cistern
#
# The keys and the database live in the volume (the home of the image's unprivileged user); pass
# the keys instead with CISTERN_MASTER_KEY_FILE and CISTERN_JWT_SECRET_FILE from mounted secrets.
#
# `ldd dist/cistern` lists glibc, libstdc++, libgcc_s, libm and zlib (swift-nio's compression);
# distroless cc has all but zlib, which comes from Debian's own image of the same release. The
# binary is built for x86_64 here, hence the path.
FROM debian:bookworm-slim AS zlib

FROM gcr.io/distroless/cc-debian12:nonroot

COPY --from=zlib /usr/lib/x86_64-linux-gnu/libz.so.1.2.13 /usr/lib/x86_64-linux-gnu/libz.so.1
COPY --chown=root:root --chmod=0755 dist/cistern /usr/local/bin/cistern

ENV CISTERN_HOST=0.0.0.0 \
    CISTERN_DATA_DIR=/home/nonroot \
    CISTERN_LOG_FORMAT=json

# distroless's nonroot user.
USER 65532:65532
WORKDIR /home/nonroot
VOLUME ["/home/nonroot"]
EXPOSE 8080 9000

ENTRYPOINT ["/usr/local/bin/cistern"]
CMD ["serve"]
