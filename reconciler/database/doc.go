// Package database is the Database controller: level-triggered, it renders
// each Database's children, guards its data on deletion, and writes status.
package database
