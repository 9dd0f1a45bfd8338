module github.com/weipian/weipian

go 1.26

require (
	github.com/airbusgeo/godal v0.0.18 // indirect
	github.com/paulmach/orb v0.14.0 // indirect
	gonum.org/v1/gonum v0.17.0 // indirect
)
