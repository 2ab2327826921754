var re,x,Ne,Pt,j,He,Oe,Fe,me,Z,z,Be,ye,$e,ge,It,ne={},se=[],Dt=/acit|ex(?:s|g|n|p|$)|rph|grid|ows|mnc|ntw|ine[ch]|zoo|^ord|itera/i,ie=Array.isArray;function B(t,e){for(var n in e)t[n]=e[n];return t}function ve(t){t&&t.parentNode&&t.parentNode.removeChild(t)}function be(t,e,n){var s,r,o,i={};for(o in e)o=="key"?s=e[o]:o=="ref"?r=e[o]:i[o]=e[o];if(arguments.length>2&&(i.children=arguments.length>3?re.call(arguments,2):n),typeof t=="function"&&t.defaultProps!=null)for(o in t.defaultProps)i[o]===void 0&&(i[o]=t.defaultProps[o]);return ee(t,i,s,r,null)}function ee(t,e,n,s,r){var o={type:t,props:e,key:n,ref:s,__k:null,__:null,__b:0,__e:null,__c:null,constructor:void 0,__v:r??++Ne,__i:-1,__u:0};return r==null&&x.vnode!=null&&x.vnode(o),o}function ae(t){return t.children}function te(t,e){this.props=t,this.context=e}function K(t,e){if(e==null)return t.__?K(t.__,t.__i+1):null;for(var n;e<t.__k.length;e++)if((n=t.__k[e])!=null&&n.__e!=null)return n.__e;return typeof t.type=="function"?K(t):null}function At(t){if(t.__P&&t.__d){var e=t.__v,n=e.__e,s=[],r=[],o=B({},e);o.__v=e.__v+1,x.vnode&&x.vnode(o),we(t.__P,o,e,t.__n,t.__P.namespaceURI,32&e.__u?[n]:null,s,n??K(e),!!(32&e.__u),r),o.__v=e.__v,o.__.__k[o.__i]=o,Ge(s,o,r),e.__e=e.__=null,o.__e!=n&&je(o)}}function je(t){if((t=t.__)!=null&&t.__c!=null)return t.__e=t.__c.base=null,t.__k.some(function(e){if(e!=null&&e.__e!=null)return t.__e=t.__c.base=e.__e}),je(t)}function Le(t){(!t.__d&&(t.__d=!0)&&j.push(t)&&!oe.__r++||He!=x.debounceRendering)&&((He=x.debounceRendering)||Oe)(oe)}function oe(){try{for(var t,e=1;j.length;)j.length>e&&j.sort(Fe),t=j.shift(),e=j.length,At(t)}finally{j.length=oe.__r=0}}function Qe(t,e,n,s,r,o,i,c,u,l,d){var _,a,f,g,w,v,h=s&&s.__k||se,m=e.length;for(u=qt(n,e,h,u,m),_=0;_<m;_++)(f=n.__k[_])!=null&&(a=f.__i!=-1&&h[f.__i]||ne,f.__i=_,v=we(t,f,a,r,o,i,c,u,l,d),g=f.__e,f.ref&&a.ref!=f.ref&&(a.ref&&ke(a.ref,null,f),d.push(f.ref,f.__c||g,f)),w==null&&g!=null&&(w=g),4&f.__u?(u=We(f,u,t),a.__e&&(a.__e=null)):typeof f.type=="function"&&v!==void 0?u=v:g&&(u=g.nextSibling),f.__u&=-7);return n.__e=w,u}function qt(t,e,n,s,r){var o,i,c,u,l,d=n.length,_=d,a=0;for(t.__k=new Array(r),o=0;o<r;o++)(i=e[o])!=null&&typeof i!="boolean"&&typeof i!="function"?(typeof i=="string"||typeof i=="number"||typeof i=="bigint"||i.constructor==String?i=t.__k[o]=ee(null,i,null,null,null):ie(i)?i=t.__k[o]=ee(ae,{children:i},null,null,null):i.constructor===void 0&&i.__b>0?i=t.__k[o]=ee(i.type,i.props,i.key,i.ref?i.ref:null,i.__v):t.__k[o]=i,u=o+a,i.__=t,i.__b=t.__b+1,c=null,(l=i.__i=Ht(i,n,u,_))!=-1&&(_--,(c=n[l])&&(c.__u|=2)),c==null||c.__v==null?(l==-1&&(r>d?a--:r<d&&a++),typeof i.type!="function"&&(i.__u|=4)):l!=u&&(l==u-1?a--:l==u+1?a++:(l>u?a--:a++,i.__u|=4))):t.__k[o]=null;if(_)for(o=0;o<d;o++)(c=n[o])!=null&&(2&c.__u)==0&&(c.__e==s&&(s=K(c)),Ve(c,c));return s}function We(t,e,n){var s,r;if(typeof t.type=="function"){for(s=t.__k,r=0;s&&r<s.length;r++)s[r]&&(s[r].__=t,e=We(s[r],e,n));return e}t.__e!=e&&(e&&t.type&&!e.parentNode&&(e=K(t)),e=n.insertBefore(t.__e,e||null));do e=e&&e.nextSibling;while(e!=null&&e.nodeType==8);return e}function Ht(t,e,n,s){var r,o,i,c=t.key,u=t.type,l=e[n],d=l!=null&&(2&l.__u)==0;if(l===null&&c==null||d&&c==l.key&&u==l.type)return n;if(s>(d?1:0)){for(r=n-1,o=n+1;r>=0||o<e.length;)if((l=e[i=r>=0?r--:o++])!=null&&(2&l.__u)==0&&c==l.key&&u==l.type)return i}return-1}function Ue(t,e,n){e[0]=="-"?t.setProperty(e,n??""):t[e]=n==null?"":typeof n!="number"||Dt.test(e)?n:n+"px"}function X(t,e,n,s,r){var o,i;e:if(e=="style")if(typeof n=="string")t.style.cssText=n;else{if(typeof s=="string"&&(t.style.cssText=s=""),s)for(e in s)n&&e in n||Ue(t.style,e,"");if(n)for(e in n)s&&n[e]==s[e]||Ue(t.style,e,n[e])}else if(e[0]=="o"&&e[1]=="n")o=e!=(e=e.replace(Be,"$1")),i=e.toLowerCase(),e=i in t||e=="onFocusOut"||e=="onFocusIn"?i.slice(2):e.slice(2),t.l||(t.l={}),t.l[e+o]=n,n?s?n[z]=s[z]:(n[z]=ye,t.addEventListener(e,o?ge:$e,o)):t.removeEventListener(e,o?ge:$e,o);else{if(r=="http://www.w3.org/2000/svg")e=e.replace(/xlink(H|:h)/,"h").replace(/sName$/,"s");else if(e!="width"&&e!="height"&&e!="href"&&e!="list"&&e!="form"&&e!="tabIndex"&&e!="download"&&e!="rowSpan"&&e!="colSpan"&&e!="role"&&e!="popover"&&e in t)try{t[e]=n??"";break e}catch{}typeof n=="function"||(n==null||n===!1&&e[4]!="-"?t.removeAttribute(e):t.setAttribute(e,e=="popover"&&n==1?"":n))}}function Me(t){return function(e){if(this.l){var n=this.l[e.type+t];if(e[Z]==null)e[Z]=ye++;else if(e[Z]<n[z])return;return n(x.event?x.event(e):e)}}}function we(t,e,n,s,r,o,i,c,u,l){var d,_,a,f,g,w,v,h,m,b,C,T,U,k,I,D,q=e.type;if(e.constructor!==void 0)return null;128&n.__u&&(u=!!(32&n.__u),o=[c=e.__e=n.__e]),(d=x.__b)&&d(e);e:if(typeof q=="function"){_=i.length;try{if(m=e.props,b=q.prototype&&q.prototype.render,C=(d=q.contextType)&&s[d.__c],T=d?C?C.props.value:d.__:s,n.__c?h=(a=e.__c=n.__c).__=a.__E:(b?e.__c=a=new q(m,T):(e.__c=a=new te(m,T),a.constructor=q,a.render=Ut),C&&C.sub(a),a.state||(a.state={}),a.__n=s,f=a.__d=!0,a.__h=[],a._sb=[]),b&&a.__s==null&&(a.__s=a.state),b&&q.getDerivedStateFromProps!=null&&(a.__s==a.state&&(a.__s=B({},a.__s)),B(a.__s,q.getDerivedStateFromProps(m,a.__s))),g=a.props,w=a.state,a.__v=e,f)b&&q.getDerivedStateFromProps==null&&a.componentWillMount!=null&&a.componentWillMount(),b&&a.componentDidMount!=null&&a.__h.push(a.componentDidMount);else{if(b&&q.getDerivedStateFromProps==null&&m!==g&&a.componentWillReceiveProps!=null&&a.componentWillReceiveProps(m,T),e.__v==n.__v||!a.__e&&a.shouldComponentUpdate!=null&&a.shouldComponentUpdate(m,a.__s,T)===!1){e.__v!=n.__v&&(a.props=m,a.state=a.__s,a.__d=!1),e.__e=n.__e,e.__k=n.__k,e.__k.some(function(G){G&&(G.__=e)}),se.push.apply(a.__h,a._sb),a._sb=[],a.__h.length&&i.push(a),c=K(n);break e}a.componentWillUpdate!=null&&a.componentWillUpdate(m,a.__s,T),b&&a.componentDidUpdate!=null&&a.__h.push(function(){a.componentDidUpdate(g,w,v)})}if(a.context=T,a.props=m,a.__P=t,a.__e=!1,U=x.__r,k=0,b)a.state=a.__s,a.__d=!1,U&&U(e),d=a.render(a.props,a.state,a.context),se.push.apply(a.__h,a._sb),a._sb=[];else do a.__d=!1,U&&U(e),d=a.render(a.props,a.state,a.context),a.state=a.__s;while(a.__d&&++k<25);a.state=a.__s,a.getChildContext!=null&&(s=B(B({},s),a.getChildContext())),b&&!f&&a.getSnapshotBeforeUpdate!=null&&(v=a.getSnapshotBeforeUpdate(g,w)),I=d!=null&&d.type===ae&&d.key==null?Ye(d.props.children):d,c=Qe(t,ie(I)?I:[I],e,n,s,r,o,i,c,u,l),a.base=e.__e,e.__u&=-161,a.__h.length&&i.push(a),h&&(a.__E=a.__=null)}catch(G){if(i.length=_,e.__v=null,u||o!=null){if(G.then){for(e.__u|=u?160:128;c&&c.nodeType==8&&c.nextSibling;)c=c.nextSibling;o!=null&&(o[o.indexOf(c)]=null),e.__e=c}else if(o!=null)for(D=o.length;D--;)ve(o[D])}else e.__e=n.__e;e.__k==null&&(e.__k=n.__k||[]),G.then||Ke(e),x.__e(G,e,n)}}else o==null&&e.__v==n.__v?(e.__k=n.__k,e.__e=n.__e):c=e.__e=Lt(n.__e,e,n,s,r,o,i,u,l);return(d=x.diffed)&&d(e),128&e.__u?void 0:c}function Ke(t){t&&(t.__c&&(t.__c.__e=!0),t.__k&&t.__k.some(Ke))}function Ge(t,e,n){for(var s=0;s<n.length;s++)ke(n[s],n[++s],n[++s]);x.__c&&x.__c(e,t),t.some(function(r){try{t=r.__h,r.__h=[],t.some(function(o){o.call(r)})}catch(o){x.__e(o,r.__v)}})}function Ye(t){return typeof t!="object"||t==null||t.__b>0?t:ie(t)?t.map(Ye):t.constructor!==void 0?null:B({},t)}function Lt(t,e,n,s,r,o,i,c,u){var l,d,_,a,f,g,w,v=n.props||ne,h=e.props,m=e.type;if(m=="svg"?r="http://www.w3.org/2000/svg":m=="math"?r="http://www.w3.org/1998/Math/MathML":r||(r="http://www.w3.org/1999/xhtml"),o!=null){for(l=0;l<o.length;l++)if((f=o[l])&&"setAttribute"in f==!!m&&(m?f.localName==m:f.nodeType==3)){t=f,o[l]=null;break}}if(t==null){if(m==null)return document.createTextNode(h);t=document.createElementNS(r,m,h.is&&h),c&&(x.__m&&x.__m(e,o),c=!1),o=null}if(m==null)v===h||c&&t.data==h||(t.data=h);else{if(o=m=="textarea"&&h.defaultValue!=null?null:o&&re.call(t.childNodes),!c&&o!=null)for(v={},l=0;l<t.attributes.length;l++)v[(f=t.attributes[l]).name]=f.value;for(l in v)f=v[l],l=="dangerouslySetInnerHTML"?_=f:l=="children"||l in h||l=="value"&&"defaultValue"in h||l=="checked"&&"defaultChecked"in h||X(t,l,null,f,r);for(l in h)f=h[l],l=="children"?a=f:l=="dangerouslySetInnerHTML"?d=f:l=="value"?g=f:l=="checked"?w=f:c&&typeof f!="function"||v[l]===f||X(t,l,f,v[l],r);if(d)c||_&&(d.__html==_.__html||d.__html==t.innerHTML)||(t.innerHTML=d.__html),e.__k=[];else if(_&&(t.innerHTML=""),Qe(e.type=="template"?t.content:t,ie(a)?a:[a],e,n,s,m=="foreignObject"?"http://www.w3.org/1999/xhtml":r,o,i,o?o[0]:n.__k&&K(n,0),c,u),o!=null)for(l=o.length;l--;)ve(o[l]);c&&m!="textarea"||(l="value",m=="progress"&&g==null?t.removeAttribute("value"):g!=null&&(g!==t[l]||m=="progress"&&!g||m=="option"&&g!=v[l])&&X(t,l,g,v[l],r),l="checked",w!=null&&w!=t[l]&&X(t,l,w,v[l],r))}return t}function ke(t,e,n){try{if(typeof t=="function"){var s=typeof t.__u=="function";s&&t.__u(),s&&e==null||(t.__u=t(e))}else t.current=e}catch(r){x.__e(r,n)}}function Ve(t,e,n){var s,r;if(x.unmount&&x.unmount(t),(s=t.ref)&&(s.current&&s.current!=t.__e||ke(s,null,e)),(s=t.__c)!=null){if(s.componentWillUnmount)try{s.componentWillUnmount()}catch(o){x.__e(o,e)}s.base=s.__P=s.__n=null}if(s=t.__k)for(r=0;r<s.length;r++)s[r]&&Ve(s[r],e,n||typeof t.type!="function");n||ve(t.__e),t.__c=t.__=t.__e=void 0}function Ut(t,e,n){return this.constructor(t,n)}function ze(t,e,n){var s,r,o,i;e==document&&(e=document.documentElement),x.__&&x.__(t,e),r=(s=typeof n=="function")?null:n&&n.__k||e.__k,o=[],i=[],we(e,t=(!s&&n||e).__k=be(ae,null,[t]),r||ne,ne,e.namespaceURI,!s&&n?[n]:r?null:e.firstChild?re.call(e.childNodes):null,o,!s&&n?n:r?r.__e:e.firstChild,s,i),Ge(o,t,i),t.props.children=null}re=se.slice,x={__e:function(t,e,n,s){for(var r,o,i;e=e.__;)if((r=e.__c)&&!r.__)try{if((o=r.constructor)&&o.getDerivedStateFromError!=null&&(r.setState(o.getDerivedStateFromError(t)),i=r.__d),r.componentDidCatch!=null&&(r.componentDidCatch(t,s||{}),i=r.__d),i)return r.__E=r}catch(c){t=c}throw t}},Ne=0,Pt=function(t){return t!=null&&t.constructor===void 0},te.prototype.setState=function(t,e){var n;n=this.__s!=null&&this.__s!=this.state?this.__s:this.__s=B({},this.state),typeof t=="function"&&(t=t(B({},n),this.props)),t&&B(n,t),t!=null&&this.__v&&(e&&this._sb.push(e),Le(this))},te.prototype.forceUpdate=function(t){this.__v&&(this.__e=!0,t&&this.__h.push(t),Le(this))},te.prototype.render=ae,j=[],Oe=typeof Promise=="function"?Promise.prototype.then.bind(Promise.resolve()):setTimeout,Fe=function(t,e){return t.__v.__b-e.__v.__b},oe.__r=0,me=Math.random().toString(8),Z="__d"+me,z="__a"+me,Be=/(PointerCapture)$|Capture$/i,ye=0,$e=Me(!1),ge=Me(!0),It=0;var Y,S,xe,Je,le=0,rt=[],E=x,Xe=E.__b,Ze=E.__r,et=E.diffed,tt=E.__c,nt=E.unmount,st=E.__;function ue(t,e){E.__h&&E.__h(S,t,le||e),le=0;var n=S.__H||(S.__H={__:[],__h:[]});return t>=n.__.length&&n.__.push({}),n.__[t]}function $(t){return le=1,Mt(at,t)}function Mt(t,e,n){var s=ue(Y++,2);if(s.t=t,!s.__c&&(s.__=[n?n(e):at(void 0,e),function(c){var u=s.__N?s.__N[0]:s.__[0],l=s.t(u,c);u!==l&&(s.__N=[l,s.__[1]],s.__c.setState({}))}],s.__c=S,!S.__f)){var r=function(c,u,l){if(!s.__c.__H)return!0;var d=!1,_=s.__c.props!==c;if(s.__c.__H.__.some(function(f){if(f.__N){d=!0;var g=f.__[0];f.__=f.__N,f.__N=void 0,g!==f.__[0]&&(_=!0)}}),o){var a=o.call(this,c,u,l);return d?a||_:a}return!d||_};S.__f=!0;var o=S.shouldComponentUpdate,i=S.componentWillUpdate;S.componentWillUpdate=function(c,u,l){if(this.__e){var d=o;o=void 0,r(c,u,l),o=d}i&&i.call(this,c,u,l)},S.shouldComponentUpdate=r}return s.__N||s.__}function R(t,e){var n=ue(Y++,3);!E.__s&&Ee(n.__H,e)&&(n.__=t,n.u=e,S.__H.__h.push(n))}function it(t,e){var n=ue(Y++,4);!E.__s&&Ee(n.__H,e)&&(n.__=t,n.u=e,S.__h.push(n))}function P(t){return le=5,Se(function(){return{current:t}},[])}function Se(t,e){var n=ue(Y++,7);return Ee(n.__H,e)&&(n.__=t(),n.__H=e,n.__h=t),n.__}function Nt(){for(var t;t=rt.shift();){var e=t.__H;if(t.__P&&e)try{e.__h.some(ce),e.__h.some(Ce),e.__h=[]}catch(n){e.__h=[],E.__e(n,t.__v)}}}E.__b=function(t){S=null,Xe&&Xe(t)},E.__=function(t,e){t&&e.__k&&e.__k.__m&&(t.__m=e.__k.__m),st&&st(t,e)},E.__r=function(t){Ze&&Ze(t),Y=0;var e=(S=t.__c).__H;e&&(xe===S?(e.__h=[],S.__h=[],e.__.some(function(n){n.__N&&(n.__=n.__N),n.u=n.__N=void 0})):(e.__h.some(ce),e.__h.some(Ce),e.__h=[],Y=0)),xe=S},E.diffed=function(t){et&&et(t);var e=t.__c;e&&e.__H&&(e.__H.__h.length&&(rt.push(e)!==1&&Je===E.requestAnimationFrame||((Je=E.requestAnimationFrame)||Ot)(Nt)),e.__H.__.some(function(n){n.u&&(n.__H=n.u,n.u=void 0)})),xe=S=null},E.__c=function(t,e){e.some(function(n){try{n.__h.some(ce),n.__h=n.__h.filter(function(s){return!s.__||Ce(s)})}catch(s){e.some(function(r){r.__h&&(r.__h=[])}),e=[],E.__e(s,n.__v)}}),tt&&tt(t,e)},E.unmount=function(t){nt&&nt(t);var e,n=t.__c;n&&n.__H&&(n.__H.__.some(function(s){try{ce(s)}catch(r){e=r}}),n.__H=void 0,e&&E.__e(e,n.__v))};var ot=typeof requestAnimationFrame=="function";function Ot(t){var e,n=function(){clearTimeout(s),ot&&cancelAnimationFrame(e),setTimeout(t)},s=setTimeout(n,35);ot&&(e=requestAnimationFrame(n))}function ce(t){var e=S,n=t.__c;typeof n=="function"&&(t.__c=void 0,n()),S=e}function Ce(t){var e=S;t.__c=t.__(),S=e}function Ee(t,e){return!t||t.length!==e.length||e.some(function(n,s){return n!==t[s]})}function at(t,e){return typeof e=="function"?e(t):e}var lt=function(t,e,n,s){var r;e[0]=0;for(var o=1;o<e.length;o++){var i=e[o++],c=e[o]?(e[0]|=i?1:2,n[e[o++]]):e[++o];i===3?s[0]=c:i===4?s[1]=Object.assign(s[1]||{},c):i===5?(s[1]=s[1]||{})[e[++o]]=c:i===6?s[1][e[++o]]+=c+"":i?(r=t.apply(c,lt(t,c,n,["",null])),s.push(r),c[0]?e[0]|=2:(e[o-2]=0,e[o]=r)):s.push(c)}return s},ct=new Map;function ut(t){var e=ct.get(this);return e||(e=new Map,ct.set(this,e)),(e=lt(this,e.get(t)||(e.set(t,e=(function(n){for(var s,r,o=1,i="",c="",u=[0],l=function(a){o===1&&(a||(i=i.replace(/^\s*\n\s*|\s*\n\s*$/g,"")))?u.push(0,a,i):o===3&&(a||i)?(u.push(3,a,i),o=2):o===2&&i==="..."&&a?u.push(4,a,0):o===2&&i&&!a?u.push(5,0,!0,i):o>=5&&((i||!a&&o===5)&&(u.push(o,0,i,r),o=6),a&&(u.push(o,a,0,r),o=6)),i=""},d=0;d<n.length;d++){d&&(o===1&&l(),l(d));for(var _=0;_<n[d].length;_++)s=n[d][_],o===1?s==="<"?(l(),u=[u],o=3):i+=s:o===4?i==="--"&&s===">"?(o=1,i=""):i=s+i[0]:c?s===c?c="":i+=s:s==='"'||s==="'"?c=s:s===">"?(l(),o=1):o&&(s==="="?(o=5,r=i,i=""):s==="/"&&(o<5||n[d][_+1]===">")?(l(),o===3&&(u=u[0]),o=u,(u=u[0]).push(2,0,o),o=0):s===" "||s==="	"||s===`
`||s==="\r"?(l(),o=2):i+=s),o===3&&i==="!--"&&(o=4,u=u[0])}return l(),u})(t)),e),arguments,[])).length>1?e:e[0]}var p=ut.bind(be);function L(t,{replace:e=!1}={}){e?history.replaceState(null,"",t):history.pushState(null,"",t),dispatchEvent(new PopStateEvent("popstate"))}function y({href:t,children:e,...n}){return p`<a href=${t} onClick=${r=>{r.defaultPrevented||r.button!==0||r.metaKey||r.ctrlKey||r.shiftKey||r.altKey||(r.preventDefault(),L(t))}} ...${n}>${e}</a>`}function Q({errors:t,title:e="There is a problem"}){let n=P(null);if(R(()=>{t.length&&n.current&&n.current.focus()},[t]),!t.length)return null;let s=r=>o=>{let i=document.getElementById(r);i&&(o.preventDefault(),i.focus())};return p`<div class="error-summary" role="alert" tabindex="-1" ref=${n} aria-labelledby="error-summary-title">
    <h2 id="error-summary-title">${e}</h2>
    <ul>
      ${t.map(r=>p`<li>${r.field?p`<a href=${"#"+r.field} onClick=${s(r.field)}>${r.message}</a>`:r.message}</li>`)}
    </ul>
  </div>`}function H({id:t,label:e,hint:n,error:s,as:r="input",value:o,onInput:i,...c}){let u=[n?t+"-hint":"",s?t+"-error":""].filter(Boolean).join(" ")||void 0,l=r==="textarea"?p`<textarea id=${t} name=${t} value=${o} onInput=${d=>i(d.currentTarget.value)}
          aria-invalid=${s?"true":void 0} aria-describedby=${u} ...${c}></textarea>`:p`<input id=${t} name=${t} value=${o} onInput=${d=>i(d.currentTarget.value)}
          aria-invalid=${s?"true":void 0} aria-describedby=${u} ...${c} />`;return p`<div class=${"field"+(s?" field-error":"")}>
    <label for=${t}>${e}</label>
    ${n&&p`<p class="hint" id=${t+"-hint"}>${n}</p>`}
    ${s&&p`<p class="error-message" id=${t+"-error"}><span class="visually-hidden">Error: </span>${s}</p>`}
    ${l}
  </div>`}function W(t,e={}){let n={};for(let[s,r]of Object.entries(t&&t.fields||{})){let o=s.replace(/\[\d+\]/g,"").replace(/^questions\.?/,""),i=e[s]||e[o]||s;n[i]=r.charAt(0).toUpperCase()+r.slice(1)+(/[.!?]$/.test(r)?"":".")}return n}function J({value:t,max:e=1,label:n,text:s}){let r=e>0?Math.round(100*t/e):0;return p`<div class="progress">
    <div class="progress-text">${s}</div>
    <div class="bar" role="progressbar" aria-label=${n} aria-valuemin="0" aria-valuemax="100" aria-valuenow=${r}
      aria-valuetext=${s}>
      <span class="bar-fill" style=${{width:r+"%"}}></span>
    </div>
  </div>`}function pt(t){if(!t)return"";let e=Math.max(0,(Date.now()-Date.parse(t))/1e3);if(e<60)return"just now";let n=Math.floor(e/60);if(n<60)return n===1?"1 minute ago":`${n} minutes ago`;let s=Math.floor(n/60);if(s<24)return s===1?"1 hour ago":`${s} hours ago`;let r=Math.floor(s/24);return r<30?r===1?"yesterday":`${r} days ago`:new Date(t).toLocaleDateString()}function pe(t){return t?new Date(t).toLocaleString(void 0,{dateStyle:"medium",timeStyle:"short"}):""}function O(t,e,n=e+"s"){return`${t} ${t===1?e:n}`}function F({label:t="Loading\u2026",lines:e=3}){return p`<div class="loading" role="status" aria-live="polite">
    <span class="visually-hidden">${t}</span>
    ${Array.from({length:e},()=>p`<div class="skeleton" aria-hidden="true"></div>`)}
  </div>`}function M(t){R(()=>{document.title=t?`${t} \u2013 Recall`:"Recall"},[t])}function N(t,e){R(()=>{t.current&&t.current.focus({preventScroll:!1})},[e])}var Re="recall.token",_e=class extends Error{constructor(e,n,s,r,o){super(s),this.status=e,this.code=n,this.fields=r||{},this.retryAfter=o||0}};function dt(){try{return sessionStorage.getItem(Re)||""}catch{return""}}function Te(t){try{t?sessionStorage.setItem(Re,t):sessionStorage.removeItem(Re)}catch{}}function he(){let t=new Uint8Array(16);return crypto.getRandomValues(t),Array.from(t,e=>e.toString(16).padStart(2,"0")).join("")}var _t=t=>new Promise(e=>setTimeout(e,t)),de=[500,1e3,2e3],fe=class{constructor({onSignedOut:e=()=>{},onConnection:n=()=>{}}={}){this.onSignedOut=e,this.onConnection=n}signedIn(){return dt()!==""}async request(e,n,{body:s,idempotencyKey:r}={}){let o=e==="GET"||e==="PUT"||e==="DELETE"||!!r,i={Accept:"application/json"},c=dt();c&&(i.Authorization="Bearer "+c),s!==void 0&&(i["Content-Type"]="application/json"),r&&(i["Idempotency-Key"]=r);for(let u=0;;u++){let l;try{l=await fetch(n,{method:e,headers:i,body:s===void 0?void 0:JSON.stringify(s),cache:"no-store",credentials:"omit"})}catch{if(o&&u<de.length){this.onConnection("retrying"),await _t(de[u]);continue}throw this.onConnection("ok"),new _e(0,"network","Recall cannot be reached. Check your connection and try again.")}if(l.status===503&&o&&u<de.length){this.onConnection("retrying"),await _t(de[u]);continue}return u>0&&this.onConnection("ok"),this.#e(l,c)}}async#e(e,n){if(e.status===204)return null;let s=null;try{s=await e.json()}catch{s=null}if(e.ok)return s;let r=s&&s.error||{},o=r.message||`Something went wrong (HTTP ${e.status}). Try again.`,i=0;throw e.status===401&&n?(Te(""),o="You have been signed out. Sign in again to go on.",this.onSignedOut()):e.status===429?(i=parseInt(e.headers.get("Retry-After")||"1",10)||1,o=`Too many requests. Try again in ${i} s.`):e.status>=500&&(o=r.message||"Recall is having trouble. Try again in a moment."),new _e(e.status,r.code||"http_"+e.status,o,r.fields,i)}async signIn(e,n){let s=await this.request("POST","/v1/tokens",{body:{username:e,password:n}});return Te(s.token),s}signUp(e,n){return this.request("POST","/v1/users",{body:{username:e,password:n}})}async signOut(){try{await this.request("DELETE","/v1/tokens/current")}finally{Te("")}}me(){return this.request("GET","/v1/me")}ops(){return this.request("GET","/v1/ops")}topics(e="dashboard"){return this.request("GET","/v1/topics?view="+e)}topic(e){return this.request("GET",`/v1/topics/${encodeURIComponent(e)}?view=full`)}createTopic(e){return this.request("POST","/v1/topics",{body:e})}updateTopic(e,n){return this.request("PATCH",`/v1/topics/${encodeURIComponent(e)}`,{body:n})}deleteTopic(e){return this.request("DELETE",`/v1/topics/${encodeURIComponent(e)}`)}questions(e){return this.request("GET",`/v1/topics/${encodeURIComponent(e)}/questions`)}question(e,n){return this.request("GET",`/v1/topics/${encodeURIComponent(e)}/questions/${encodeURIComponent(n)}`)}addQuestions(e,n){return this.request("POST",`/v1/topics/${encodeURIComponent(e)}/questions`,{body:{questions:n}})}updateQuestion(e,n,s){return this.request("PATCH",`/v1/topics/${encodeURIComponent(e)}/questions/${encodeURIComponent(n)}`,{body:s})}deleteQuestion(e,n){return this.request("DELETE",`/v1/topics/${encodeURIComponent(e)}/questions/${encodeURIComponent(n)}`)}startSession(e){return this.request("POST","/v1/sessions",{body:{topic_id:e}})}sessions(e=""){return this.request("GET","/v1/sessions"+(e?"?cursor="+encodeURIComponent(e):""))}session(e){return this.request("GET",`/v1/sessions/${encodeURIComponent(e)}`)}turn(e,n,s){return this.request("POST",`/v1/sessions/${encodeURIComponent(e)}/turns`,{body:{message:n},idempotencyKey:s})}turns(e){return this.request("GET",`/v1/sessions/${encodeURIComponent(e)}/turns`)}endSession(e,n){return this.request("POST",`/v1/sessions/${encodeURIComponent(e)}/end`,{idempotencyKey:n})}};var Ft=/^[a-z0-9_.-]{3,32}$/;function Bt(t,e,n){let s={};return t?n&&!Ft.test(t.toLowerCase())&&(s.username="Use 3 to 32 letters, digits, dots, dashes or underscores."):s.username="Enter your username.",e?n&&(e.length<8||e.length>256)&&(s.password="Use a password of at least 8 characters."):s.password="Enter your password.",s}function Pe({api:t,signUp:e,notice:n}){let[s,r]=$(""),[o,i]=$(""),[c,u]=$({}),[l,d]=$(""),[_,a]=$(!1),f=P(null),g=e?"Create your account":"Sign in";M(g),N(f,e);let w=async h=>{if(h.preventDefault(),_)return;let m=Bt(s.trim(),o,e);if(u(m),d(""),!Object.keys(m).length){a(!0);try{e&&await t.signUp(s.trim(),o),await t.signIn(s.trim(),o),L("/",{replace:!0})}catch(b){let C=W(b);Object.keys(C).length?u(C):b.code==="conflict"?u({username:"That username is taken. Choose another."}):b.status===401?u({password:"The username or password is wrong."}):d(b.message),a(!1)}}},v=Object.entries(c).map(([h,m])=>({field:h,message:m}));return l&&v.push({message:l}),p`<main id="main" class="narrow">
    <h1 tabindex="-1" ref=${f}>${g}</h1>
    ${n&&p`<p class="notice" role="status">${n}</p>`}
    <${Q} errors=${v} />
    <form onSubmit=${w} novalidate>
      <${H} id="username" label="Username" value=${s} onInput=${r} error=${c.username}
        autocomplete="username" autocapitalize="none" spellcheck="false"
        hint=${e?"3 to 32 characters: letters, digits, dots, dashes or underscores.":void 0} />
      <${H} id="password" label="Password" type="password" value=${o} onInput=${i}
        error=${c.password} autocomplete=${e?"new-password":"current-password"}
        hint=${e?"At least 8 characters.":void 0} />
      <button type="submit" class="primary" aria-busy=${_?"true":void 0}>
        ${_?e?"Creating your account\u2026":"Signing in\u2026":e?"Create account":"Sign in"}
      </button>
    </form>
    <p class="switch">
      ${e?p`Already have an account? <${y} href="/signin">Sign in</${y}>`:p`New to Recall? <${y} href="/signup">Create an account</${y}>`}
    </p>
  </main>`}function ft({api:t}){let[e,n]=$(null),[s,r]=$(""),o=P(null);M("Your topics"),N(o,"dash");let i=async()=>{try{let c=await t.topics("dashboard");n(c.topics),r("")}catch(c){r(c.message)}};return R(()=>{i()},[]),p`<main id="main">
    <h1 tabindex="-1" ref=${o}>Your topics</h1>
    <${jt} api=${t} onCreated=${c=>L("/topics/"+encodeURIComponent(c.id))} />
    ${s&&p`<p class="error-message" role="alert">${s} <button type="button" onClick=${i}>Try again</button></p>`}
    ${e===null&&!s&&p`<${F} label="Loading your topics…" />`}
    ${e!==null&&(e.length===0?p`<div class="empty">
          <h2>No topics yet</h2>
          <p>Create one above — give it a title like “Capitals of Europe” — then paste your questions into it.</p>
        </div>`:p`<ul class="topics" aria-label="Topics">
          ${e.map(c=>p`<${Qt} key=${c.id} api=${t} topic=${c} onChange=${i} />`)}
        </ul>`)}
  </main>`}function jt({api:t,onCreated:e}){let[n,s]=$(""),[r,o]=$(""),[i,c]=$(!1);return p`<section class="card new-topic" aria-labelledby="new-topic-heading">
    <h2 id="new-topic-heading">New topic</h2>
    <${Q} errors=${r?[{field:"new-topic-title",message:r}]:[]} />
    <form onSubmit=${async d=>{if(d.preventDefault(),!i){if(!n.trim()){o("Enter a title for the topic.");return}c(!0),o("");try{let _=await t.createTopic({title:n.trim()});s(""),e(_.topic)}catch(_){o(W(_).title||_.message)}finally{c(!1)}}}} class="inline-form" novalidate>
      <${H} id="new-topic-title" label="Title" value=${n} onInput=${s} error=${r} maxlength="200"
        placeholder="e.g. Spanish verbs" />
      <button type="submit" class="primary" aria-busy=${i?"true":void 0}>${i?"Creating\u2026":"Create topic"}</button>
    </form>
  </section>`}function Qt({api:t,topic:e,onChange:n}){let[s,r]=$("view"),[o,i]=$(e.title),[c,u]=$(""),[l,d]=$(!1),_=e.stats||{},a="/topics/"+encodeURIComponent(e.id),f="topic-"+e.id,g=async m=>{if(m.preventDefault(),!l){if(!o.trim()){u("Enter a title for the topic.");return}d(!0);try{await t.updateTopic(e.id,{title:o.trim()}),r("view"),u(""),n()}catch(b){u(W(b).title||b.message)}finally{d(!1)}}},w=async()=>{if(!l){d(!0);try{await t.deleteTopic(e.id),n()}catch(m){u(m.message),d(!1)}}},v=async()=>{if(!l){d(!0);try{let m=await t.startSession(e.id);L("/study/"+encodeURIComponent(m.session.id))}catch(m){u(m.message),d(!1)}}},h=_.accuracy;return p`<li class="card topic">
    ${s==="rename"?p`<form onSubmit=${g} class="inline-form" novalidate>
          <${H} id=${f+"-title"} label="New title" value=${o} onInput=${i} error=${c}
            maxlength="200" autofocus />
          <div class="actions">
            <button type="submit" class="primary">Save title</button>
            <button type="button" onClick=${()=>{r("view"),i(e.title),u("")}}>Cancel</button>
          </div>
        </form>`:p`<h2><${y} href=${a}>${e.title}</${y}></h2>`}
    <p class="meta">
      ${[O(e.question_count,"question"),_.last_studied_at?"last studied "+pt(_.last_studied_at):"not studied yet",_.sessions_completed?O(_.sessions_completed,"session")+" done":""].filter(Boolean).join(" \xB7 ")}
    </p>
    <${J} value=${h??0} max=${1} label=${"Accuracy in "+e.title}
      text=${h==null?"No answers yet":`${Math.round(h*100)}% right (${_.correct} of ${_.answers})`} />
    ${s==="confirm-delete"?p`<div class="confirm" role="alertdialog" aria-labelledby=${f+"-confirm"}>
          <p id=${f+"-confirm"}>Delete “${e.title}” and its ${O(e.question_count,"question")}? This cannot be undone.</p>
          <div class="actions">
            <button type="button" class="danger" onClick=${w} autofocus>Yes, delete it</button>
            <button type="button" onClick=${()=>r("view")}>Keep it</button>
          </div>
        </div>`:s==="view"&&p`<div class="actions">
          ${e.question_count>0?p`<button type="button" class="primary" onClick=${v} aria-busy=${l?"true":void 0}>Study</button>`:p`<${y} class="button primary" href=${a}>Add questions</${y}>`}
          <button type="button" onClick=${()=>r("rename")} aria-label=${"Rename "+e.title}>Rename</button>
          <button type="button" class="danger-outline" onClick=${()=>r("confirm-delete")}
            aria-label=${"Delete "+e.title}>Delete</button>
        </div>`}
    ${c&&s!=="rename"&&p`<p class="error-message" role="alert">${c}</p>`}
  </li>`}function Wt(t){let e=[],n=[];return t.split(/\r?\n/).forEach((s,r)=>{if(!s.trim())return;let o;if(s.includes("	"))o=s.split("	");else if(s.includes("::")){let u=s.indexOf("::");o=[s.slice(0,u),s.slice(u+2)]}else{n.push(`Line ${r+1} has no \u201C::\u201D or tab between question and answer.`);return}let i=o[0].trim(),c=o.slice(1).join(" ").trim();if(!i||!c){n.push(`Line ${r+1} needs both a question and an answer.`);return}e.push({prompt:i,answers:[c]})}),{questions:e,errors:n}}var ht=t=>t.split(/\r?\n/).map(e=>e.trim()).filter(Boolean);function mt(t){return{prompt:t?t.prompt:"",answers:t?(t.answers||[]).join(`
`):"",choices:t?(t.choices||[]).join(`
`):"",hint:t&&t.hint||"",explanation:t&&t.explanation||""}}function Kt(t){return{prompt:t.prompt.trim(),answers:ht(t.answers),choices:ht(t.choices),hint:t.hint.trim(),explanation:t.explanation.trim()}}function Gt(t){let e={};return t.prompt||(e.prompt="Enter the question."),t.answers.length||(e.answers="Enter at least one accepted answer."),t.choices.length===1?e.choices="Give at least two choices, or none.":t.choices.length&&t.answers.some(n=>!t.choices.includes(n))&&(e.choices="Every accepted answer must be one of the choices."),e}function gt({api:t,id:e}){let[n,s]=$(null),[r,o]=$(null),[i,c]=$(""),u=P(null);M(n?n.title:"Topic"),N(u,e+(n?"1":"0"));let l=async()=>{try{let[d,_]=await Promise.all([t.topic(e),t.questions(e)]);s(d.topic),o(_.questions),c("")}catch(d){c(d.status===404?"This topic does not exist, or it has been deleted.":d.message)}};return R(()=>{l()},[e]),i?p`<main id="main">
      <h1 tabindex="-1" ref=${u}>Topic</h1>
      <p class="error-message" role="alert">${i}</p>
      <p><${y} href="/">Back to your topics</${y}></p>
    </main>`:n?p`<main id="main">
    <p class="crumbs"><${y} href="/">Your topics</${y}></p>
    <h1 tabindex="-1" ref=${u}>${n.title}</h1>
    <${Yt} api=${t} topic=${n} count=${r.length} />
    <${Vt} api=${t} topic=${n} onSaved=${s} />
    <${zt} api=${t} topicID=${e} questions=${r} onChange=${l} />
  </main>`:p`<main id="main"><h1 tabindex="-1" ref=${u}>Topic</h1><${F} label="Loading the topic…" lines=${5} /></main>`}function Yt({api:t,topic:e,count:n}){let[s,r]=$(!1),[o,i]=$("");return n?p`<div class="study-start">
    <button type="button" class="primary big" onClick=${async()=>{if(!s){r(!0);try{let u=await t.startSession(e.id);L("/study/"+encodeURIComponent(u.session.id))}catch(u){i(u.message),r(!1)}}}} aria-busy=${s?"true":void 0}>
      Study ${O(Math.min(n,20),"question")}
    </button>
    ${o&&p`<p class="error-message" role="alert">${o}</p>`}
  </div>`:p`<p class="notice">Add questions below, then study them here.</p>`}function Vt({api:t,topic:e,onSaved:n}){let[s,r]=$(e.title),[o,i]=$(e.description||""),[c,u]=$({}),[l,d]=$(""),[_,a]=$(!1),f=async w=>{if(w.preventDefault(),_)return;let v={};if(s.trim()||(v["topic-title"]="Enter a title for the topic."),u(v),d(""),!Object.keys(v).length){a(!0);try{let h=await t.updateTopic(e.id,{title:s.trim(),description:o.trim()});n({...e,...h.topic}),d("Saved.")}catch(h){let m=W(h,{title:"topic-title",description:"topic-description"});u(Object.keys(m).length?m:{"topic-form":h.message})}finally{a(!1)}}},g=Object.entries(c).map(([w,v])=>({field:w==="topic-form"?void 0:w,message:v}));return p`<details class="card">
    <summary>Edit title and description</summary>
    <${Q} errors=${g} />
    <form onSubmit=${f} novalidate>
      <${H} id="topic-title" label="Title" value=${s} onInput=${r} error=${c["topic-title"]} maxlength="200" />
      <${H} id="topic-description" label="Description (optional)" as="textarea" rows="3" value=${o}
        onInput=${i} error=${c["topic-description"]} maxlength="4000" />
      <div class="actions">
        <button type="submit" class="primary" aria-busy=${_?"true":void 0}>Save topic</button>
        <span role="status" class="saved">${l}</span>
      </div>
    </form>
  </details>`}function zt({api:t,topicID:e,questions:n,onChange:s}){let[r,o]=$(""),[i,c]=$(""),[u,l]=$({}),d=async _=>{try{await t.deleteQuestion(e,_.id),c(""),s()}catch(a){l({[_.id]:a.message})}};return p`<section aria-labelledby="bank-heading">
    <h2 id="bank-heading">Questions <span class="count">(${n.length})</span></h2>
    ${n.length===0?p`<div class="empty"><p>No questions yet. Paste a list below — one “Question :: Answer” a line — or add them one by one.</p></div>`:p`<table class="bank">
          <caption class="visually-hidden">The questions of this topic</caption>
          <thead><tr><th scope="col">Question</th><th scope="col">Answer</th><th scope="col">Hint</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
          <tbody>
            ${n.map((_,a)=>r===_.id?p`<tr key=${_.id} class="editing"><td colspan="4">
                    <${$t} api=${t} topicID=${e} question=${_} idp=${"q"+a}
                      onDone=${()=>{o(""),s()}} onCancel=${()=>o("")} />
                  </td></tr>`:p`<tr key=${_.id}>
                    <td data-label="Question">
                      <span class="prompt">${_.prompt}</span>
                      ${_.choices&&_.choices.length>0&&p`<ol class="choices" type="A">${_.choices.map(f=>p`<li>${f}</li>`)}</ol>`}
                      ${_.explanation&&p`<p class="explanation">${_.explanation}</p>`}
                    </td>
                    <td data-label="Answer">${(_.answers||[]).join(" \xB7 ")}</td>
                    <td data-label="Hint">${_.hint||p`<span class="muted">—</span>`}</td>
                    <td class="row-actions">
                      ${i===_.id?p`<span class="confirm-inline">Delete this question?
                            <button type="button" class="danger" onClick=${()=>d(_)} autofocus>Delete</button>
                            <button type="button" onClick=${()=>c("")}>Keep</button></span>`:p`<button type="button" onClick=${()=>o(_.id)} aria-label=${"Edit question "+(a+1)}>Edit</button>
                            <button type="button" class="danger-outline" onClick=${()=>c(_.id)}
                              aria-label=${"Delete question "+(a+1)}>Delete</button>`}
                      ${u[_.id]&&p`<p class="error-message" role="alert">${u[_.id]}</p>`}
                    </td>
                  </tr>`)}
          </tbody>
        </table>`}
    <${Jt} api=${t} topicID=${e} onDone=${s} />
    <details class="card">
      <summary>Add one question with choices, hint or explanation</summary>
      <${$t} api=${t} topicID=${e} idp="new" onDone=${s} />
    </details>
  </section>`}function $t({api:t,topicID:e,question:n,idp:s,onDone:r,onCancel:o}){let[i,c]=$(mt(n)),[u,l]=$({}),[d,_]=$(!1),a=v=>h=>c({...i,[v]:h}),f=v=>`${s}-${v}`,g=async v=>{if(v.preventDefault(),d)return;let h=Kt(i),m=Gt(h);if(l(m),!Object.keys(m).length){_(!0);try{n?(!h.choices.length&&!(n.choices||[]).length&&delete h.choices,await t.updateQuestion(e,n.id,h)):(h.choices.length||delete h.choices,await t.addQuestions(e,[h]),c(mt(null))),l({}),r()}catch(b){let C=W(b);l(Object.keys(C).length?C:{form:b.message})}finally{_(!1)}}},w=Object.entries(u).map(([v,h])=>({field:v==="form"?void 0:f(v),message:h}));return p`<form onSubmit=${g} novalidate class="question-form">
    <${Q} errors=${w} />
    <${H} id=${f("prompt")} label="Question" as="textarea" rows="2" value=${i.prompt} onInput=${a("prompt")}
      error=${u.prompt} maxlength="2000" />
    <${H} id=${f("answers")} label="Accepted answers" hint="One a line." as="textarea" rows="2" value=${i.answers}
      onInput=${a("answers")} error=${u.answers} />
    <${H} id=${f("choices")} label="Choices (optional)" hint="One a line; makes it multiple choice." as="textarea"
      rows="3" value=${i.choices} onInput=${a("choices")} error=${u.choices} />
    <${H} id=${f("hint")} label="Hint (optional)" value=${i.hint} onInput=${a("hint")} error=${u.hint}
      maxlength="500" />
    <${H} id=${f("explanation")} label="Explanation (optional)" hint="Shown after the answer." as="textarea" rows="2"
      value=${i.explanation} onInput=${a("explanation")} error=${u.explanation} maxlength="4000" />
    <div class="actions">
      <button type="submit" class="primary" aria-busy=${d?"true":void 0}>${n?"Save question":"Add question"}</button>
      ${o&&p`<button type="button" onClick=${o}>Cancel</button>`}
    </div>
  </form>`}function Jt({api:t,topicID:e,onDone:n}){let[s,r]=$(""),[o,i]=$([]),[c,u]=$(""),[l,d]=$(!1),_=Wt(s);return p`<form onSubmit=${async f=>{if(f.preventDefault(),!l){if(u(""),!_.questions.length&&!_.errors.length){i(["Paste at least one line: a question, \u201C::\u201D, then its answer."]);return}if(_.errors.length){i(_.errors);return}d(!0);try{await t.addQuestions(e,_.questions),r(""),i([]),u(`Added ${O(_.questions.length,"question")}.`),n()}catch(g){i([g.message])}finally{d(!1)}}}} class="card paste" novalidate>
    <h3>Paste questions</h3>
    <${Q} errors=${o.map(f=>({field:"paste",message:f}))} />
    <${H} id="paste" label="Questions, one a line" as="textarea" rows="5" value=${s} onInput=${r}
      hint="Write “Question :: Answer”, or paste two columns from a spreadsheet (question, tab, answer)."
      error=${o.length?o[0]:""} placeholder=${`Capital of France :: Paris
Capital of Spain :: Madrid`} />
    <div class="actions">
      <button type="submit" class="primary" aria-busy=${l?"true":void 0}>
        ${_.questions.length?`Add ${O(_.questions.length,"question")}`:"Add questions"}
      </button>
      <span role="status" class="saved">${c}</span>
    </div>
  </form>`}function yt(t,e,n){let s=`Question ${t} of ${e}: ${n.prompt}`;return(n.choices||[]).forEach((r,o)=>{s+=`
${String.fromCharCode(65+o)}) ${r}`}),s}async function Ie(t,e,n){let s=[],r=e.progress.total;if(n.length===0&&e.current_question)s.push({from:"tutor",text:yt(1,r,e.current_question)});else if(n.length&&n[0].question_id)try{let o=await t.question(e.topic_id,n[0].question_id);s.push({from:"tutor",text:yt(1,r,o.question)})}catch{s.push({from:"tutor",text:"Question 1 (since removed from the topic)."})}for(let o of n)s.push(...bt(o));return s}function vt(t){let e=t.trim().toLowerCase();return e==="/hint"?"Hint, please.":e==="/skip"?"Skip this one.":t}function bt(t){return[{from:"learner",text:vt(t.message)},{from:"tutor",text:t.reply,correct:t.kind==="answer"?t.correct:null,kind:t.kind}]}function Xt({m:t,onRetry:e}){let n=["bubble",t.from,t.pending?"pending":"",t.failed?"failed":"",t.correct===!0?"right":"",t.correct===!1?"wrong":""].filter(Boolean).join(" ");return p`<li class=${n} aria-busy=${t.pending?"true":void 0}>
    <span class="visually-hidden">${t.from==="tutor"?"Tutor: ":"You: "}</span>
    ${t.correct===!0&&p`<span class="verdict" aria-hidden="true">✓ </span>`}
    ${t.correct===!1&&p`<span class="verdict" aria-hidden="true">✗ </span>`}
    <span class="text">${t.text}</span>
    ${t.pending&&p`<span class="sending">Sending…</span>`}
    ${t.failed&&p`<span class="failed-note">${t.failed} <button type="button" onClick=${e}>Send again</button></span>`}
  </li>`}function wt({messages:t,onRetry:e,label:n}){let s=P(null);return it(()=>{s.current&&s.current.scrollIntoView({block:"end"})},[t.length,t[t.length-1]]),p`<ol class="chat" aria-label=${n} aria-live="polite" aria-relevant="additions">
    ${t.map((r,o)=>p`<${Xt} key=${o} m=${r} onRetry=${e} />`)}
    <li class="chat-end" ref=${s} aria-hidden="true"></li>
  </ol>`}function Zt(t){return`${t.answered+t.skipped} of ${t.total} done \xB7 ${t.correct} right${t.skipped?` \xB7 ${t.skipped} skipped`:""}`}function en({session:t}){let e=t.progress;return p`<section class="card summary" aria-labelledby="summary-heading">
    <h2 id="summary-heading" tabindex="-1">Session complete</h2>
    <p class="score">${e.correct} of ${e.total} right${e.skipped?`, ${e.skipped} skipped`:""}.</p>
    <div class="actions">
      <${y} class="button primary" href=${"/topics/"+encodeURIComponent(t.topic_id)}>Back to the topic</${y}>
      <${y} class="button" href="/">Your topics</${y}>
      <${y} class="button" href=${"/history/"+encodeURIComponent(t.id)}>Transcript</${y}>
    </div>
  </section>`}function kt({api:t,id:e}){let[n,s]=$(null),[r,o]=$([]),[i,c]=$(""),[u,l]=$(""),[d,_]=$(null),[a,f]=$(""),g=P(null),w=P(null);M("Study"),N(w,e),R(()=>{(async()=>{try{let[k,I]=await Promise.all([t.session(e),t.turns(e)]);o(await Ie(t,k.session,I.turns)),s(k.session)}catch(k){c(k.status===404?"This session does not exist.":k.message)}})()},[e]);let v=!!n;R(()=>{v&&g.current&&g.current.focus()},[v]);let h=n&&n.state==="active",m=async(k,I)=>{if(!(d&&!d.failed)){f(""),_({text:k,key:I});try{let D=await t.turn(e,k,I);_(null),o(q=>[...q,...bt(D.turn)]),s(D.session),g.current&&g.current.focus()}catch(D){if(D.status===409){_(null);let q=await t.session(e).catch(()=>null);q&&s(q.session),f("This session is over.")}else D.status>=400&&D.status<500&&D.status!==429?(_(null),l(k),f(D.message)):_({text:k,key:I,failed:D.message})}}},b=k=>{k.preventDefault();let I=u.trim();if(!(!I||d&&!d.failed||!h)){if(d&&d.failed){f("Send your last message again first, or reload the page.");return}l(""),m(I,he())}},C=k=>()=>{!h||d||m(k,he())},T=async()=>{if(!(!h||d))try{let k=he();_({text:"End the session",key:k,ending:!0});let I=await t.endSession(e,k),D=await t.turns(e).catch(()=>null);s(I.session),D&&o(await Ie(t,I.session,D.turns)),_(null)}catch(k){_(null),f(k.message)}};if(i)return p`<main id="main"><h1 tabindex="-1" ref=${w}>Study</h1>
      <p class="error-message" role="alert">${i}</p><p><${y} href="/">Back to your topics</${y}></p></main>`;let U=d&&!d.ending?[...r,{from:"learner",text:vt(d.text),pending:!d.failed,failed:d.failed}]:r;return p`<main id="main" class="study">
    <div class=${"study-head"+(h?" sticky":"")}>
      <h1 tabindex="-1" ref=${w} class="visually-hidden">Study session</h1>
      ${n?p`<${J} value=${n.progress.answered+n.progress.skipped} max=${n.progress.total}
            label="Progress" text=${Zt(n.progress)} />`:p`<div class="progress placeholder"></div>`}
    </div>
    ${n?p`<${wt} messages=${U} label="Conversation with the tutor"
      onRetry=${()=>m(d.text,d.key)} />`:p`<${F} label="Loading the session…" />`}
    ${n&&!h&&p`<${en} session=${n} />`}
    ${n&&h&&p`<form class="composer" onSubmit=${b} novalidate>
      ${a&&p`<p class="error-message" role="alert" id="answer-error">${a}</p>`}
      <label for="answer">Your answer</label>
      <div class="composer-row">
        <input id="answer" ref=${g} value=${u} onInput=${k=>l(k.currentTarget.value)}
          autocomplete="off" autocapitalize="off" spellcheck="false" maxlength="2000" enterkeyhint="send"
          aria-describedby=${a?"answer-error":void 0} />
        <button type="submit" class="primary">Answer</button>
      </div>
      <div class="composer-tools">
        <button type="button" onClick=${C("/hint")}>Hint</button>
        <button type="button" onClick=${C("/skip")}>Skip</button>
        <button type="button" class="danger-outline" onClick=${T}>End session</button>
      </div>
    </form>`}
  </main>`}function xt({api:t}){let[e,n]=$(null),[s,r]=$(""),[o,i]=$(null),[c,u]=$(!1),l=P({}),d=P(null);M("History"),N(d,"history");let _=f=>f.map(g=>({...g,title:l.current[g.topic_id]||"A deleted topic"}));R(()=>{(async()=>{try{let[f,g]=await Promise.all([t.sessions(),t.topics("summary")]);l.current=Object.fromEntries(g.topics.map(w=>[w.id,w.title])),n(_(f.sessions)),i(f.next_cursor||null)}catch(f){r(f.message)}})()},[]);let a=async()=>{u(!0);try{let f=await t.sessions(o);n(g=>[...g,..._(f.sessions)]),i(f.next_cursor||null),r("")}catch(f){r(f.message)}finally{u(!1)}};return p`<main id="main">
    <h1 tabindex="-1" ref=${d}>History</h1>
    ${!e&&!s&&p`<${F} label="Loading your sessions…" />`}
    ${e&&(e.length===0?p`<div class="empty"><p>No sessions yet. Open a topic from <${y} href="/">your topics</${y}> and press Study.</p></div>`:p`<ul class="sessions">
          ${e.map(f=>p`<li class="card session-row" key=${f.id}>
              <h2><${y} href=${(f.state==="active"?"/study/":"/history/")+encodeURIComponent(f.id)}>${f.title}</${y}></h2>
              <p class="meta">${pe(f.created_at)} · ${f.state==="active"?"in progress":f.state}</p>
              <${J} value=${f.progress.correct} max=${f.progress.total} label=${"Score of the session of "+pe(f.created_at)}
                text=${`${f.progress.correct} of ${O(f.progress.total,"question")} right`} />
            </li>`)}
        </ul>`)}
    ${s&&p`<p class="error-message" role="alert">${s}</p>`}
    ${e&&o&&p`<p class="actions"><button type="button" class="button" onClick=${a} disabled=${c} aria-busy=${c?"true":void 0}>
      ${c?"Loading\u2026":"More sessions"}
    </button></p>`}
  </main>`}function Ct({api:t,id:e}){let[n,s]=$(null),[r,o]=$(null),[i,c]=$(""),u=P(null);return M("Transcript"),N(u,e),R(()=>{(async()=>{try{let[l,d]=await Promise.all([t.session(e),t.turns(e)]);o(await Ie(t,l.session,d.turns)),s(l.session)}catch(l){c(l.status===404?"This session does not exist.":l.message)}})()},[e]),p`<main id="main">
    <p class="crumbs"><${y} href="/history">History</${y}></p>
    <h1 tabindex="-1" ref=${u}>Transcript</h1>
    ${i&&p`<p class="error-message" role="alert">${i}</p>`}
    ${!n&&!i&&p`<${F} label="Loading the transcript…" />`}
    ${n&&p`<p class="meta">${pe(n.created_at)} · ${n.progress.correct} of ${O(n.progress.total,"question")} right${n.progress.skipped?`, ${n.progress.skipped} skipped`:""}</p>
      ${r.length?p`<${wt} messages=${r} label="Transcript" />`:p`<p class="empty">Nothing was said in this session.</p>`}
      ${n.state==="active"&&p`<p><${y} class="button primary" href=${"/study/"+encodeURIComponent(n.id)}>Continue this session</${y}></p>`}`}
  </main>`}var St=2e3,tn=90;function A(t,e=""){if(t==null||Number.isNaN(t))return"\u2013";let n=Math.abs(t);return(n>=100?t.toFixed(0):n>=10?t.toFixed(1):t.toFixed(2))+e}var De=t=>t==null?"\u2013":Math.round(t*100)+" %",nn=t=>t>=1<<20?Math.round(t/(1<<20))+" MiB":Math.round(t/1024)+" KiB";function Et(t,e,n){let s=new Array(e.length+1).fill(0);for(let c of n)c.latency_counts.forEach((u,l)=>s[l]+=u);let r=s.reduce((c,u)=>c+u,0);if(!r)return null;let o=t*r,i=0;for(let c=0;c<s.length;c++){let u=s[c];if(u<=0||i+u<o){i+=u;continue}if(c>=e.length)return e[e.length-1];let l=c>0?e[c-1]:0;return l+(e[c]-l)*(o-i)/u}return e[e.length-1]}function Ae(t){let e=t.routes.reduce((r,o)=>r+o.per_second,0),n=0,s=0;for(let r of t.caches)n+=r.hits,s+=r.hits+r.misses+r.errors;return{rps:e,p50:Et(.5,t.latency_bounds_ms,t.routes),p99:Et(.99,t.latency_bounds_ms,t.routes),hitRatio:s?n/s:null,avoided:t.db.reads_avoided,dbReads:t.db.reads,limited:t.rate_limit.limited,allowed:t.rate_limit.allowed,fallback:t.rate_limit.fallback}}function qe({values:t,label:e,max:n}){let o=Math.max(n||0,...t.filter(u=>u!==null),1e-9),i=Math.max(t.length,2),c="";return t.forEach((u,l)=>{if(u===null)return;let d=(l+(i-t.length))/(i-1)*120,_=30-u/o*28;c+=`${c&&t[l-1]!==null?"L":"M"}${d.toFixed(1)},${_.toFixed(1)}`}),p`<svg class="spark" viewBox=${"0 0 120 32"} preserveAspectRatio="none" role="img" aria-label=${e}>
    <path class="spark-base" d=${"M0,31H120"} />
    ${c&&p`<path class="spark-line" d=${c} />`}
  </svg>`}function V({title:t,value:e,hint:n,values:s,state:r}){return p`<section class=${"stat"+(r?" stat-"+r:"")}>
    <h2>${t}</h2>
    <p class="stat-value">${e}</p>
    ${n&&p`<p class="meta">${n}</p>`}
    ${s&&p`<${qe} values=${s} label=${t+", last minutes"} max=${t.includes("ratio")?1:0} />`}
  </section>`}var Tt={ok:"Up",degraded:"Down: serving from the database",disabled:"Not used (in-process caches)"};function Rt({api:t}){let[e,n]=$([]),[s,r]=$(null),[o,i]=$("cluster"),c=P(null);M("Operations"),N(c,"ops"),R(()=>{let h=!1,m=0,b=async()=>{try{let C=await t.ops();if(h)return;r(null),n(T=>[...T,{at:Date.now(),view:C}].slice(-tn))}catch(C){if(h||(r(C),C.status===403||C.status===401))return}m=setTimeout(b,St)};return b(),()=>{h=!0,clearTimeout(m)}},[]);let u=p`<h1 tabindex="-1" ref=${c}>Operations</h1>`;if(s&&s.status===403)return p`<main id="main">${u}
      <div class="notice" role="alert">
        <p><strong>This page is for admins.</strong> Your account does not have the admin role.</p>
        <p>An operator can grant it on the server with <code>recall admin grant USERNAME</code>.</p>
      </div>
    </main>`;if(!e.length)return p`<main id="main">${u}
      ${s?p`<p class="error-message" role="alert">${s.message}</p>`:p`<${F} label="Loading the figures…" />`}
    </main>`;let l=e[e.length-1].view,d=h=>o==="cluster"?h.cluster:h.instances.find(m=>m.instance===o)||null,_=d(l)||l.cluster,a=Ae(_),f=h=>e.map(m=>{let b=d(m.view);return b&&b.seconds>0?h(Ae(b)):null}),g=_.redis==="degraded"?"bad":_.redis==="ok"?"good":"",w=o==="cluster"?`all ${l.instances.length} instance${l.instances.length===1?"":"s"}`:o,v={redis:"Figures of every instance, shared through Redis.",local:"No Redis: the figures of this instance alone.",local_only:"Redis cannot be read: the figures of this instance alone."}[l.source];return p`<main id="main" class="ops">
    ${u}
    ${s&&p`<p class="error-message" role="alert">Could not refresh: ${s.message} Showing the last figures.</p>`}
    <div class="ops-bar">
      <p class="meta">${v} Refreshed every ${St/1e3} s; answered by ${l.instance}.</p>
      <div class="field ops-scope">
        <label for="ops-scope">Show</label>
        <select id="ops-scope" value=${o} onChange=${h=>i(h.currentTarget.value)}>
          <option value="cluster">Whole cluster</option>
          ${l.instances.map(h=>p`<option value=${h.instance}>${h.instance}${h.instance===l.instance?" (this one)":""}</option>`)}
        </select>
      </div>
    </div>
    <h2 class="visually-hidden">Now, ${w}</h2>
    <div class="stats">
      <${V} title="Redis" value=${Tt[_.redis]||_.redis} state=${g}
        hint=${_.near_cache.enabled?`Near-cache on, ${nn(_.near_cache.capacity_bytes)} per connection`:"Near-cache off"} />
      <${V} title="Requests" value=${A(a.rps," /s")} values=${f(h=>h.rps)} />
      <${V} title="Latency p99" value=${A(a.p99," ms")} hint=${"p50 "+A(a.p50," ms")} values=${f(h=>h.p99)} />
      <${V} title="Cache hit ratio" value=${De(a.hitRatio)} values=${f(h=>h.hitRatio)} />
      <${V} title="Database reads avoided" value=${A(a.avoided," /s")} hint=${A(a.dbReads," /s")+" reads served by the database"}
        values=${f(h=>h.avoided)} />
      <${V} title="Rate limited" value=${A(a.limited," /s")} state=${a.limited>0?"warn":""}
        hint=${`${A(a.allowed," /s")} allowed, ${A(a.fallback," /s")} by the local fallback`} values=${f(h=>h.limited)} />
    </div>

    <h2>Instances</h2>
    <div class="table-wrap">
      <table>
        <thead><tr><th scope="col">Instance</th><th scope="col">Requests</th><th scope="col">p99</th><th scope="col">Cache hits</th><th scope="col">Redis</th></tr></thead>
        <tbody>
          ${l.instances.map(h=>{let m=Ae(h);return p`<tr key=${h.instance}>
              <th scope="row">${h.instance}${h.instance===l.instance?" (this one)":""}</th>
              <td>${A(m.rps," /s")}</td><td>${A(m.p99," ms")}</td><td>${De(m.hitRatio)}</td><td>${Tt[h.redis]||h.redis}</td>
            </tr>`})}
        </tbody>
      </table>
    </div>

    <h2>Routes</h2>
    ${_.routes.length===0?p`<p class="empty">No requests in the last interval.</p>`:p`<div class="table-wrap">
          <table>
            <thead><tr><th scope="col">Route</th><th scope="col">Requests</th><th scope="col">p50</th><th scope="col">p99</th><th scope="col">Trend</th></tr></thead>
            <tbody>
              ${_.routes.map(h=>{let m=h.method+" "+h.route,b=e.map(C=>{let T=d(C.view),U=T&&T.routes.find(k=>k.method===h.method&&k.route===h.route);return T&&T.seconds>0?U?U.per_second:0:null});return p`<tr key=${m}>
                  <th scope="row"><code>${m}</code></th>
                  <td>${A(h.per_second," /s")}</td><td>${A(h.p50_ms," ms")}</td><td>${A(h.p99_ms," ms")}</td>
                  <td><${qe} values=${b} label=${"Requests per second of "+m} /></td>
                </tr>`})}
            </tbody>
          </table>
        </div>`}

    <h2>Caches</h2>
    ${_.caches.length===0?p`<p class="empty">No cache lookups yet.</p>`:p`<div class="table-wrap">
          <table>
            <thead><tr><th scope="col">Cache</th><th scope="col">Hit ratio</th><th scope="col">Hits</th><th scope="col">Misses</th><th scope="col">Errors</th><th scope="col">Trend</th></tr></thead>
            <tbody>
              ${_.caches.map(h=>{let m=e.map(b=>{let C=d(b.view),T=C&&C.caches.find(U=>U.cache===h.cache);return T&&T.hit_ratio!==null?T.hit_ratio:null});return p`<tr key=${h.cache}>
                  <th scope="row">${h.cache}</th><td>${De(h.hit_ratio)}</td>
                  <td>${A(h.hits," /s")}</td><td>${A(h.misses," /s")}</td><td>${A(h.errors," /s")}</td>
                  <td><${qe} values=${m} max=${1} label=${"Hit ratio of the "+h.cache+" cache"} /></td>
                </tr>`})}
            </tbody>
          </table>
        </div>`}
  </main>`}var sn=[{re:/^\/$/,page:"dashboard",auth:!0},{re:/^\/signin$/,page:"signin"},{re:/^\/signup$/,page:"signup"},{re:/^\/topics\/([^/]+)$/,page:"topic",auth:!0},{re:/^\/study\/([^/]+)$/,page:"study",auth:!0},{re:/^\/history$/,page:"history",auth:!0},{re:/^\/history\/([^/]+)$/,page:"transcript",auth:!0},{re:/^\/ops$/,page:"ops",auth:!0}];function on(t){for(let e of sn){let n=e.re.exec(t);if(n)return{...e,id:n[1]?decodeURIComponent(n[1]):""}}return{page:"notfound"}}function rn(){let[t,e]=$(location.pathname),[n,s]=$(""),[r,o]=$("ok"),i=Se(()=>new fe({onSignedOut:()=>{s("You have been signed out. Sign in again to go on."),L("/signin",{replace:!0})},onConnection:o}),[]);R(()=>{let f=()=>e(location.pathname);return addEventListener("popstate",f),()=>removeEventListener("popstate",f)},[]);let c=on(t),u=i.signedIn(),[l,d]=$(!1);R(()=>{if(!u){d(!1);return}i.me().then(f=>d(!!f.user.admin),()=>d(!1))},[u]),R(()=>{c.auth&&!u?L("/signin",{replace:!0}):(c.page==="signin"||c.page==="signup")&&u&&L("/",{replace:!0})},[t,u]);let _=async()=>{try{await i.signOut()}catch{}s("You are signed out."),L("/signin",{replace:!0})},a;return c.auth&&!u?a=null:c.page==="signin"?a=p`<${Pe} api=${i} notice=${n} />`:c.page==="signup"?a=p`<${Pe} api=${i} signUp />`:c.page==="dashboard"?a=p`<${ft} api=${i} />`:c.page==="topic"?a=p`<${gt} key=${c.id} api=${i} id=${c.id} />`:c.page==="study"?a=p`<${kt} key=${c.id} api=${i} id=${c.id} />`:c.page==="history"?a=p`<${xt} api=${i} />`:c.page==="transcript"?a=p`<${Ct} key=${c.id} api=${i} id=${c.id} />`:c.page==="ops"?a=p`<${Rt} api=${i} />`:a=p`<main id="main"><h1>Page not found</h1><p>There is nothing at this address. <${y} href="/">Go to your topics</${y}>.</p></main>`,p`<a class="skip-link" href="#main">Skip to content</a>
    <header class="top">
      <nav aria-label="Main">
        <${y} class="brand" href="/">Recall</${y}>
        ${u&&p`<${y} href="/" aria-current=${c.page==="dashboard"?"page":void 0}>Topics</${y}>
          <${y} href="/history" aria-current=${c.page==="history"||c.page==="transcript"?"page":void 0}>History</${y}>
          ${l&&p`<${y} href="/ops" aria-current=${c.page==="ops"?"page":void 0}>Operations</${y}>`}
          <button type="button" class="link-button" onClick=${_}>Sign out</button>`}
      </nav>
    </header>
    ${r==="retrying"&&p`<p class="connection" role="status">Connection lost. Retrying…</p>`}
    ${a}`}ze(p`<${rn} />`,document.getElementById("app"));
