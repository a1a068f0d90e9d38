//! (pending)
pub struct Client;
pub struct ClientOptions;
pub enum Auth {}
pub struct ResponseMeta;
