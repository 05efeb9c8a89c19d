// Package config reads the aggregator's YAML configuration file.
//
// [LoadFile] and [Load] decode the file strictly: unknown keys, wrong types
// and invalid values are all reported together in an [*Error], each problem
// with the file, line and field path it concerns and a hint on how to fix it.
//
// A loaded [Config] has its defaults applied and its paths resolved: the
// store, the publish folder, local feed files and password files are
// absolute, relative paths being taken relative to the config file's folder;
// every feed has a
// schedule and a timeout; there is at least one output; stories.enabled is
// set and stories.window is not 0; each stories.source_priority entry is a
// feed's name or its resolved url; tagging.entities is set and every tag
// rule names the fields it looks in; retention.max_age is the default unless
// the file gives it (0 keeping stories forever). A feed's basic-auth
// password is never written in the file: Load reads it from the environment
// variable or file the feed's auth names, into a [Secret], which does not show
// itself when printed, logged or marshalled.
//
// The outputs' filters are checked only by [LoadFileWith] and [LoadWith],
// with the parser the program passes in [Options]; the filter language is not
// this package's.
package config
