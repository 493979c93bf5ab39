// What a button does when it changes something: ask first when it cannot be undone, call the
// API, then say what happened (or why not) in the status line.

/**
 * A click handler that runs `action` (an API call) and then `after` (by default the page's
 * reload), saying `done`; with `confirmation`, only once the person agrees to that question.
 */
export function act(context, action, done, { confirmation, after } = {}) {
    return async () => {
        if (confirmation && !confirm(confirmation)) return;
        try {
            await action();
            context.notify(done);
            await (after ? after() : context.reload());
        } catch (error) {
            context.notify(error.message, "error");
        }
    };
}
