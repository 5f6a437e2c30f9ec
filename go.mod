module github.com/sockio/sockio

go 1.26.8

require (
	github.com/go-chi/chi/v5 v5.5.0
	github.com/google/uuid v1.6.0
	github.com/gorilla/websocket v1.5.3
)

require go.uber.org/goleak v1.3.0 // indirect
