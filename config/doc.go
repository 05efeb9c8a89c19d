// Package config reads the aggregator's YAML configuration file.
//
// [LoadFile] and [Load] decode the file strictly: unknown keys, wrong types
// and invalid values are all reported together in an [*Error], each problem
// with the file, line and field path it concerns and a hint on how to fix it.
//
// A loaded [Config] has its defaults applied and its paths resolved: the
// store, the publish folder and local feed files are absolute, relative
// paths being taken relative to the config file's folder; every feed has a
// schedule; there is at least one output.
package config
