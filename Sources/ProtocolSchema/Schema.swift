// schema model
