/// A handler a listener registers, known before the listener's services exist: its API and the
/// versions its type declares, and how to build it from the services and register it.
struct HandlerRegistration<Services>: Sendable {
    let api: ServedAPI
    let register: @Sendable (inout RequestDispatcher, Services) -> Void

    init<H: RequestHandler>(_ make: @escaping @Sendable (Services) -> H) {
        api = ServedAPI(apiKey: H.Request.apiKey, versions: H.versions)
        register = { dispatcher, services in dispatcher.register(make(services)) }
    }

    /// Fetch: registered so that it can answer with records spliced from the log files.
    init<H: SplicingRequestHandler>(_ make: @escaping @Sendable (Services) -> H) {
        api = ServedAPI(apiKey: H.Request.apiKey, versions: H.versions)
        register = { dispatcher, services in dispatcher.register(make(services)) }
    }
}
