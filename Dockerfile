# binq on Debian 12: builds binqd, binqctl and binq-run with the pinned LibTorch.
#   docker build -t binq .
#   docker run --gpus all -p 127.0.0.1:7411:7411 -v binq-state:/var/lib/binq binq
# The image runs binqd; mount the Hugging Face cache (HF_HUB_CACHE) and the
# datasets (BINQ_DATA_DIR) into it for real models.
FROM debian:12

ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends ca-certificates git python3 python3-venv sudo \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/binq
COPY . .
# install_deps.sh installs the Debian packages and torch into .venv; the
# build is Release, CUDA kernels when the image has a matching CUDA toolkit.
RUN tools/dev/build.sh && rm -rf /var/lib/apt/lists/*

ENV HF_HUB_CACHE=/data/hf-cache BINQ_DATA_DIR=/data/datasets
VOLUME ["/var/lib/binq"]
EXPOSE 7411
# Listens on all interfaces inside the container; publish the port to
# loopback only (as above) unless you put authentication in front of it.
CMD ["build/server/binqd", "--listen", "0.0.0.0:7411", "--state-dir", "/var/lib/binq", "--gpus", "auto", "--worker-binary", "/opt/binq/build/tools/binq-run"]
