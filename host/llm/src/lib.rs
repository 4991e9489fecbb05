//! Language-model providers (work in progress).
