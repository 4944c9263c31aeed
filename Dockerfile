# Multi-stage build of the single strata binary (engine + operator).
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath \
    -ldflags "-s -w -X github.com/stratagql/strata/internal/version.Version=${VERSION}" \
    -o /out/strata .

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/strata /strata
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/strata"]
