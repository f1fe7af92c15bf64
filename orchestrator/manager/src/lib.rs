//! The swarmd manager: Raft node, control API, orchestrators, dispatcher, certificate authority.
