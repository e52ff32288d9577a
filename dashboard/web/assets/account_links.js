// Account numbers in grids are real links: Ctrl-click or middle-click opens a new tab, Enter on a
// focused link follows it, and a plain click moves inside the app as dcc.Link does (no reload).
var dagcomponentfuncs = (window.dashAgGridComponentFunctions = window.dashAgGridComponentFunctions || {});

dagcomponentfuncs.AccountLink = function (props) {
    if (props.value === undefined || props.value === null || props.value === "") {
        return null;
    }
    var href = "/accounts/" + encodeURIComponent(props.value);
    return React.createElement(
        "a",
        {
            href: href,
            className: "account-link",
            onClick: function (event) {
                if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) {
                    return;
                }
                event.preventDefault();
                window.history.pushState({}, "", href);
                window.dispatchEvent(new CustomEvent("_dashprivate_pushstate"));
                window.scrollTo(0, 0);
            },
        },
        props.value
    );
};
