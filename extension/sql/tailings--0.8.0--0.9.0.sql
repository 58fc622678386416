-- tailings 0.8.0 -> 0.9.0: fast at national scale (issue 15): time travel
-- through an index, cheaper tracking, completeness summaries kept current.
\echo Use "ALTER EXTENSION tailings UPDATE TO '0.9.0'" to load this file. \quit
