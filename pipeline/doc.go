// Package pipeline is the domain of weipian: change patches (图斑), zones and
// their overlay rules, change types, verification tasks, patrol-ledger
// reconciliation and report figures, plus the orchestration of a batch written
// against small interfaces (blob store, queue, state store).
//
// It imports only the standard library, orb and gonum: no GDAL, no network
// client, so it builds and tests with CGO_ENABLED=0.
package pipeline
